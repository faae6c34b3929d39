/* A C program that carries only Go's build-id note (name "Go", type 4), in a
 * section of another name: only the PT_NOTE segment gives it away, as in a
 * stripped Go binary without section headers. */
__asm__(
    ".pushsection .note.gofake, \"a\", @note\n"
    ".balign 4\n"
    ".long 4\n" /* n_namesz: "Go\0\0" */
    ".long 8\n" /* n_descsz */
    ".long 4\n" /* n_type: ELF_NOTE_GOBUILDID_TAG */
    ".ascii \"Go\\0\\0\"\n"
    ".ascii \"fakebuil\"\n"
    ".popsection\n");

int main(void) {
  return 0;
}
