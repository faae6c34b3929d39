// Boost.Asio timers under the shim: each scenario prints "ok NAME" when its
// outcome is one that Asio allows under any timer semantics, and
// "FAIL NAME: why" otherwise (exit 1). On Linux an io_context's reactor
// keeps one timerfd (created with the reactor) in its epoll set and re-arms
// it for the nearest steady_timer; it never reads it, so stale expirations
// only cost it a spurious wake-up.
//
// Semantics-robust means: no scenario depends on when a timer is seen, only
// on what Asio promises: each async_wait's handler runs exactly once, with
// operation_aborted when the timer was cancelled or re-armed before it
// expired, timers run in expiry order, and of two racing operations the one
// that runs first wins (a handler already queued still runs, so the loser
// checks a flag rather than its error code).
#include <sys/socket.h>
#include <unistd.h>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>,
// which C++20 no longer pulls in through <memory>: include it first, and
// only the Asio headers used.
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>

namespace {

namespace asio = boost::asio;
using std::chrono::microseconds;
using std::chrono::milliseconds;

int g_failures = 0;

void Check(const char* scenario, bool ok, const char* why) {
  if (ok) {
    std::printf("ok %s\n", scenario);
  } else {
    std::printf("FAIL %s: %s\n", scenario, why);
    ++g_failures;
  }
}

void OneShot() {
  asio::io_context io;
  asio::steady_timer t(io, milliseconds(5));
  int fired = 0;
  t.async_wait([&](const boost::system::error_code& ec) { fired += !ec; });
  io.run();
  Check("oneshot", fired == 1, "a one-shot timer's handler runs once, successfully");
}

void Repeating() {
  asio::io_context io;
  asio::steady_timer t(io, milliseconds(2));
  int fired = 0;
  std::function<void(const boost::system::error_code&)> tick =
      [&](const boost::system::error_code& ec) {
        if (ec || ++fired == 5) return;
        t.expires_at(t.expiry() + milliseconds(2));
        t.async_wait(tick);
      };
  t.async_wait(tick);
  io.run();
  Check("repeating", fired == 5, "a timer re-scheduled from its handler 4 times runs 5 times");
}

void Cancelled() {
  asio::io_context io;
  asio::steady_timer cancelled(io, milliseconds(30)), end(io, milliseconds(50));
  int aborted = 0, succeeded = 0, end_fired = 0;
  cancelled.async_wait([&](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) {
      ++aborted;
    } else {
      ++succeeded;
    }
  });
  end.async_wait([&](const boost::system::error_code& ec) { end_fired += !ec; });
  cancelled.cancel();
  io.run();
  Check("cancelled", aborted == 1 && succeeded == 0 && end_fired == 1,
        "a timer cancelled before it expires runs its handler once, aborted");
}

// A timer armed for 10 ms and re-armed for 40 ms before it expires: the
// first wait is aborted, the second succeeds once, after a 20 ms marker.
void Rearmed() {
  asio::io_context io;
  asio::steady_timer timer(io, milliseconds(10)), marker(io, milliseconds(20));
  int aborted = 0, succeeded = 0, succeeded_before_marker = 0;
  bool marker_fired = false;
  auto on_timer = [&](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) {
      ++aborted;
      return;
    }
    ++succeeded;
    if (!marker_fired) ++succeeded_before_marker;
  };
  timer.async_wait(on_timer);
  marker.async_wait([&](const boost::system::error_code&) { marker_fired = true; });
  timer.expires_after(milliseconds(40));  // cancels the pending wait
  timer.async_wait(on_timer);
  io.run();
  Check("rearmed", aborted == 1 && succeeded == 1 && succeeded_before_marker == 0,
        "a re-armed timer aborts the old wait and expires once, at its new time");
}

// A ready socket races a 20 us timer; whichever handler runs first wins and
// cancels the other. Either may win; exactly one wins.
void ShortTimeoutRace() {
  asio::io_context io;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    Check("race", false, "socketpair failed");
    return;
  }
  asio::local::stream_protocol::socket sock(io, asio::local::stream_protocol(), fds[0]);
  if (write(fds[1], "x", 1) != 1) std::perror("write");
  asio::steady_timer timeout(io);
  bool done = false;
  int io_won = 0, timeout_won = 0;
  char byte;
  timeout.expires_after(microseconds(20));
  timeout.async_wait([&](const boost::system::error_code& ec) {
    if (done || ec) return;
    done = true;
    ++timeout_won;
    sock.cancel();
  });
  sock.async_read_some(asio::buffer(&byte, 1),
                       [&](const boost::system::error_code& ec, std::size_t n) {
                         if (done || ec || n != 1) return;
                         done = true;
                         ++io_won;
                         timeout.cancel();
                       });
  io.run();
  Check("race", io_won + timeout_won == 1, "exactly one of the racing operations wins");
  std::printf("race winner %s\n", io_won ? "io" : "timeout");
  close(fds[1]);
}

// A worker thread posts five times to the loop, each after a 1 ms sleep
// (nanosleep), and waits for each to run with a timed condition-variable
// wait that retries until acknowledged.
void WorkerPosts() {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::mutex mutex;
  std::condition_variable acked;
  int received = 0;
  std::thread worker([&] {
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(milliseconds(1));
      asio::post(io, [&] {
        std::lock_guard<std::mutex> lock(mutex);
        if (++received == 5) work.reset();
        acked.notify_one();
      });
      std::unique_lock<std::mutex> lock(mutex);
      while (received <= i) acked.wait_for(lock, std::chrono::seconds(1));
    }
  });
  io.run();
  worker.join();
  Check("worker", received == 5, "each of five posts from a worker runs once");
}

}  // namespace

int main() {
  OneShot();
  Repeating();
  Cancelled();
  Rearmed();
  ShortTimeoutRace();
  WorkerPosts();
  std::printf("%s\n", g_failures == 0 ? "all ok" : "some failed");
  return g_failures == 0 ? 0 : 1;
}
