// A plugin linked against libuv, loaded by prog_lib_dlopen with
// dlopen(RTLD_LOCAL) after the shim initialized: libuv is then in no global
// scope, dlsym(RTLD_NEXT) from the shim cannot find it, and the shim must
// find its real functions in the library the program loaded.
#include <uv.h>

static char order[4];
static int order_len = 0;

static void Mark(uv_timer_t* timer) {
  order[order_len++] = *(const char*)timer->data;
}

// Runs T (2 ms) and M (20 ms) on a loop of its own; returns the order they
// ran in: "TM" natively, "MT" when T is late (old, TIMERSEM_SHORT=5ms,
// TIMERSEM_LAG=50ms).
const char* PluginTimerOrder(void) {
  uv_loop_t loop;
  uv_timer_t t, m;
  uv_loop_init(&loop);
  uv_timer_init(&loop, &t);
  uv_timer_init(&loop, &m);
  t.data = "T";
  m.data = "M";
  uv_timer_start(&t, Mark, 2, 0);
  uv_timer_start(&m, Mark, 20, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t*)&t, NULL);
  uv_close((uv_handle_t*)&m, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return order;
}
