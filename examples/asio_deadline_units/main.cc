// asio_deadline_units: a Boost.Asio lookup whose deadline is given in the
// wrong unit, a bug that the kernel's timer semantics hide or expose.
//
// A client looks keys up in a warm in-process cache that answers from the
// client's own io_context (a posted handler writes the answer into the
// client's socket). Each lookup runs a private io_context, the usual shape
// of a blocking call made with Asio: a deadline timer, an async read, and
// run(). The configuration says the lookup timeout is 20 (milliseconds);
// the code passes it to std::chrono::microseconds, so the deadline is 20 us.
//
// Under old semantics a very short timer is seen late (no earlier than the
// lag, 1 ms), the posted answer arrives first and every lookup succeeds.
// Under new semantics (Go 1.23 timers: a very short timer has already
// expired when it is armed) the reactor's first poll finds the deadline's
// timerfd expired, Asio queues the timeout handler before the read can
// complete, and the lookup "times out" (exit 1). Natively it depends on how
// quickly the reactor polls after the timer is armed: a flaky test on a
// loaded machine.
//
// Asio keeps one timerfd per io_context, created with the reactor when the
// first I/O object of that context is constructed, and re-arms it for the
// nearest timer. So timerbisect names that construction, the CULPRIT line,
// through Asio's frames (basic_waitable_timer, epoll_reactor); the
// housekeeping context's timers do not matter.
#include <sys/socket.h>
#include <unistd.h>

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>,
// which C++20 no longer pulls in through <memory>: include it first, and
// only the Asio headers used.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace {

namespace asio = boost::asio;

struct Config {
  long lookup_timeout = 20;  // milliseconds
  long stats_interval = 5;   // milliseconds
};

// The cache is warm: it answers as soon as its handler runs.
void CacheAnswer(int peer, std::uint64_t key) {
  std::uint64_t value = key * 100;
  if (write(peer, &value, sizeof value) != sizeof value) std::perror("answer");
}

// Looks `key` up with a deadline; false when the deadline won.
bool Lookup(const Config& config, std::uint64_t key, std::uint64_t& value) {
  asio::io_context io;
  asio::steady_timer deadline(io);  // CULPRIT
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return false;
  asio::local::stream_protocol::socket answers(io, asio::local::stream_protocol(), fds[0]);
  bool done = false, timed_out = false;
  answers.async_read_some(asio::buffer(&value, sizeof value),
                          [&](const boost::system::error_code& ec, std::size_t) {
                            if (done || ec) return;
                            done = true;
                            deadline.cancel();
                          });
  // The bug: lookup_timeout is in milliseconds.
  deadline.expires_after(std::chrono::microseconds(config.lookup_timeout));
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (done || ec) return;
    done = true;
    timed_out = true;
    answers.cancel();
  });
  asio::post(io, [&] { CacheAnswer(fds[1], key); });
  io.run();
  close(fds[1]);
  return !timed_out;
}

// Periodic statistics on their own context: correct under any semantics.
class Housekeeping {
 public:
  explicit Housekeeping(const Config& config)
      : interval_(config.stats_interval), stats_(io_, interval_) {
    Schedule();
  }
  void Poll() { io_.poll(); }
  int ticks() const { return ticks_; }

 private:
  void Schedule() {
    stats_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      ++ticks_;
      stats_.expires_at(stats_.expiry() + interval_);
      Schedule();
    });
  }

  asio::io_context io_;
  std::chrono::milliseconds interval_;
  asio::steady_timer stats_;
  int ticks_ = 0;
};

}  // namespace

int main() {
  Config config;
  Housekeeping housekeeping(config);
  for (std::uint64_t key = 1; key <= 3; ++key) {
    std::uint64_t value = 0;
    if (!Lookup(config, key, value)) {
      std::printf("lookup %llu timed out\n", static_cast<unsigned long long>(key));
      return 1;
    }
    std::printf("lookup %llu = %llu\n", static_cast<unsigned long long>(key),
                static_cast<unsigned long long>(value));
    housekeeping.Poll();
  }
  std::printf("3 lookups answered\n");
  return 0;
}
