// The C++ timed waits libstdc++ 12 maps onto the intercepted functions.
// Usage: shim_cxxwait API CASE
//   API   cv_wait_for          std::condition_variable::wait_for (steady_clock:
//                              pthread_cond_clockwait)
//         cv_wait_until_system wait_until on system_clock (pthread_cond_timedwait)
//         timed_mutex          std::timed_mutex::try_lock_for (pthread_mutex_clocklock)
//         future               std::future::wait_for (syscall(SYS_futex,
//                              FUTEX_WAIT_BITSET) inside libstdc++.so)
//         semaphore            std::counting_semaphore::try_acquire_for
//                              (syscall(SYS_futex, FUTEX_WAIT_BITSET_PRIVATE))
//   CASE  short (10 us) | long (1 s): another thread notifies, unlocks, sets
//         the value or releases 50 ms after the wait began, or as soon as it
//         returned
//         ready: the resource is already available (mutex free, value set,
//         semaphore count 1)
// Prints "outcome ok|timedout" and "event_before 0|1" as shim_cond.c does.
#include <time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <semaphore>
#include <string_view>
#include <thread>

namespace {

using std::chrono::microseconds;

// Far beyond a short wait, far below the lag the tests set.
constexpr std::chrono::nanoseconds kEventDelay = std::chrono::milliseconds(50);
std::chrono::nanoseconds g_timeout;
std::atomic<bool> g_event{false};     // set just before the event
std::atomic<bool> g_waiting{false};   // the waiter is about to wait
std::atomic<bool> g_returned{false};  // the wait returned

// The event thread's delay: kEventDelay after the waiter announced its wait,
// or less once the wait returned. A yield loop on the clock: no intercepted
// sleep may stretch or shorten it.
void AwaitEventTime() {
  while (!g_waiting) std::this_thread::yield();
  auto start = std::chrono::steady_clock::now();
  while (!g_returned && std::chrono::steady_clock::now() - start < kEventDelay) {
    std::this_thread::yield();
  }
}

// Call right after the wait returned: reads the event flag, then lets the
// event thread go.
int Print(bool ok) {
  bool before = g_event;
  g_returned = true;
  std::printf("outcome %s\nevent_before %d\n", ok ? "ok" : "timedout", before ? 1 : 0);
  return 0;
}

int ConditionVariable(bool system_clock) {
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock lock(m);
  // The notifier needs the mutex, released only inside the wait.
  std::thread notifier([&] {
    AwaitEventTime();
    std::lock_guard guard(m);
    g_event = true;
    cv.notify_one();
  });
  g_waiting = true;
  bool ok = system_clock ? cv.wait_until(lock, std::chrono::system_clock::now() + g_timeout,
                                         [] { return g_event.load(); })
                         : cv.wait_for(lock, g_timeout, [] { return g_event.load(); });
  Print(ok);
  lock.unlock();
  notifier.join();
  return 0;
}

int TimedMutex(bool ready) {
  std::timed_mutex m;
  std::atomic<bool> held{false};
  std::thread holder;
  if (!ready) {
    holder = std::thread([&] {
      std::lock_guard guard(m);
      held = true;
      AwaitEventTime();
      g_event = true;
    });
    while (!held) std::this_thread::yield();
  }
  g_waiting = true;
  bool ok = m.try_lock_for(g_timeout);
  Print(ok);
  if (ok) m.unlock();
  if (holder.joinable()) holder.join();
  return 0;
}

int Future(bool ready) {
  std::promise<int> promise;
  std::future<int> future = promise.get_future();
  std::thread setter;
  if (ready) {
    promise.set_value(1);
  } else {
    setter = std::thread([&] {
      AwaitEventTime();
      g_event = true;
      promise.set_value(1);
    });
  }
  g_waiting = true;
  Print(future.wait_for(g_timeout) == std::future_status::ready);
  if (setter.joinable()) setter.join();
  return 0;
}

int Semaphore(bool ready) {
  std::counting_semaphore<1> sem(ready ? 1 : 0);
  std::thread releaser;
  if (!ready) {
    releaser = std::thread([&] {
      AwaitEventTime();
      g_event = true;
      sem.release();
    });
  }
  g_waiting = true;
  Print(sem.try_acquire_for(g_timeout));
  if (releaser.joinable()) releaser.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view api = argc > 1 ? argv[1] : "";
  std::string_view which = argc > 2 ? argv[2] : "short";
  bool ready = which == "ready";
  g_timeout = which == "long" ? std::chrono::nanoseconds(std::chrono::seconds(1))
                              : std::chrono::nanoseconds(microseconds(10));
  if (api == "cv_wait_for") return ConditionVariable(false);
  if (api == "cv_wait_until_system") return ConditionVariable(true);
  if (api == "timed_mutex") return TimedMutex(ready);
  if (api == "future") return Future(ready);
  if (api == "semaphore") return Semaphore(ready);
  std::fprintf(stderr, "unknown behaviour %.*s\n", static_cast<int>(api.size()), api.data());
  return 2;
}
