/* Writes argv[1] bytes to stdout, byte i being run_spew_byte(i): every value
 * 0..255 occurs, NUL included, and the head and tail of a long run differ,
 * so a test can tell which part of the output it kept. */
#include <stdlib.h>
#include <unistd.h>

static unsigned char run_spew_byte(unsigned long i) {
  return (unsigned char)(i * 131u + (i >> 8));
}

int main(int argc, char** argv) {
  if (argc < 2) return 100;
  unsigned long total = strtoul(argv[1], NULL, 10);
  unsigned char buf[8192];
  unsigned long written = 0;
  while (written < total) {
    unsigned long n = total - written < sizeof buf ? total - written : sizeof buf;
    for (unsigned long k = 0; k < n; ++k) buf[k] = run_spew_byte(written + k);
    unsigned long done = 0;
    while (done < n) {
      ssize_t w = write(1, buf + done, n - done);
      if (w <= 0) return 1;
      done += (unsigned long)w;
    }
    written += n;
  }
  return 0;
}
