/* Built with -static (and -static-pie): no PT_INTERP, so no ld.so, so no
 * LD_PRELOAD. */
int main(void) {
  return 0;
}
