/* A C program that carries the section Go's linker writes (.go.buildinfo),
 * standing in for a Go binary without needing a Go toolchain. */
__attribute__((used, section(".go.buildinfo"))) static const char buildinfo[32] =
    "\xff Go buildinf:";

int main(void) {
  return 0;
}
