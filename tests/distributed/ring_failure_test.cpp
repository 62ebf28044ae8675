// Failure handling of the ring backend: connections from strangers are
// refused without disturbing the job; a rank that dies or stops responding
// makes every other rank raise std::runtime_error naming it and the
// operation, within the timeout.
#include <gtest/gtest.h>

#include <sys/time.h>

#include <chrono>
#include <csignal>
#include <cstring>

#include "mlx/distributed/ring/listener.h"
#include "ring_test_utils.h"

namespace {

using namespace mlx::core;
using distributed::detail::ReduceOp;
using Clock = std::chrono::steady_clock;
namespace ring = mlx::core::distributed::ring;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Silent clients stay open until the listener's handshake deadline.
std::vector<ring::Fd> silent_strays;

// Strangers knocking on `to`'s port: a silent client (kept aside), and the
// returned ones to be refused: an HTTP request, a handshake from another
// job, one with the wrong rank count, one claiming a rank that does not
// exist.
std::vector<ring::Fd> open_strays(const ring::Config& c, int to) {
  std::vector<ring::Fd> strays;
  const ring::Address& address = c.addresses[to][0];
  silent_strays.push_back(ring_test::connect_raw(address));
  ring::Fd http = ring_test::connect_raw(address);
  const char request[] =
      "GET / HTTP/1.0\r\n\r\n0123456789012345678901234567890";
  ::send(http.get(), request, sizeof(request), MSG_NOSIGNAL);
  strays.push_back(std::move(http));
  for (int variant = 0; variant < 3; ++variant) {
    ring::Hello hello;
    hello.job_hash = c.job_hash ^ (variant == 0 ? 1 : 0);
    hello.group_id = 1;
    hello.world_size = c.size() + (variant == 1 ? 1 : 0);
    hello.from_rank = variant == 2 ? c.size() : c.rank;
    hello.to_rank = to;
    unsigned char bytes[ring::Hello::kBytes];
    hello.encode(bytes);
    ring::Fd fd = ring_test::connect_raw(address);
    ::send(fd.get(), bytes, sizeof(bytes), MSG_NOSIGNAL);
    strays.push_back(std::move(fd));
  }
  return strays;
}

// "ok" when the listener closed every one of `strays`.
std::string strays_closed(const std::vector<ring::Fd>& strays) {
  for (size_t i = 0; i < strays.size(); ++i) {
    char byte;
    std::string error;
    // Closed with unread bytes, the socket sends a reset instead of EOF.
    if (ring::recv_exact(
            strays[i].get(), &byte, 1, ring::Deadline::after(5), error) ||
        (error != "connection closed" && error != "Connection reset by peer")) {
      return "stray " + std::to_string(i) + " not refused: " + error;
    }
  }
  return "ok";
}

// All-sums `count` floats of value r + 1 and checks the total.
std::string all_sum_ok(ring_test::GroupImpl& g, size_t count) {
  int n = g.size();
  std::vector<float> x(count, float(g.rank() + 1));
  g.all_reduce(x.data(), x.data(), count, float32, ReduceOp::Sum);
  float want = float(n * (n + 1) / 2);
  for (float v : x) {
    if (v != want) {
      return "wrong sum";
    }
  }
  return "ok";
}

std::vector<ring::Fd> init_strays;
ring::Config job_config;

// Runs an all_sum expected to fail; reports the seconds it took and the
// message.
std::string failing_all_sum(ring_test::GroupImpl& g, size_t count) {
  std::vector<float> x(count, 1.0f);
  auto start = Clock::now();
  try {
    g.all_reduce(x.data(), x.data(), count, float32, ReduceOp::Sum);
    return "no error";
  } catch (const std::runtime_error& e) {
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    return std::to_string(s) + "|" + e.what();
  }
}

double seconds_of(const std::string& report) {
  return std::stod(report.substr(0, report.find('|')));
}

} // namespace

TEST(RingFailureTest, StrayConnectionsDuringInitAreRefused) {
  ring_test::Job job;
  job.ranks = 3;
  // Rank 1 cannot finish init before rank 0 starts its own, so these reach
  // rank 1 while it is setting up.
  job.before_init = [](int rank, const ring::Config& c) {
    if (rank == 0) {
      init_strays = open_strays(c, 1);
    }
  };
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int rank) {
    std::string sum = all_sum_ok(g, 100000);
    return rank == 0 && sum == "ok" ? strays_closed(init_strays) : sum;
  });
  for (auto& r : reports) {
    EXPECT_EQ(r, "ok");
  }
}

TEST(RingFailureTest, StrayConnectionsDuringCollectivesAreRefused) {
  ring_test::Job job;
  job.ranks = 4;
  job.addresses_per_rank = 2;
  job.before_init = [](int, const ring::Config& c) { job_config = c; };
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int rank) {
    // Strays reach ranks 1 and 3 while they run collectives, a split (new
    // connections accepted next to the strays) and a new point-to-point
    // link between ranks 0 and 2.
    std::vector<ring::Fd> strays;
    if (rank == 0) {
      strays = open_strays(job_config, 1);
      for (auto& fd : open_strays(job_config, 3)) {
        strays.push_back(std::move(fd));
      }
    }
    std::string result = all_sum_ok(g, 1 << 20);
    auto sub = g.split(rank % 2, -1);
    result += "," + all_sum_ok(*sub, 1000);
    int value = 42;
    if (rank == 0) {
      g.send(&value, sizeof(value), 2);
    } else if (rank == 2) {
      value = 0;
      g.recv(&value, sizeof(value), 0);
    }
    result += value == 42 ? ",ok" : ",bad message";
    if (rank == 0) {
      result += "," + strays_closed(strays);
    }
    return result;
  });
  EXPECT_EQ(reports[0], "ok,ok,ok,ok");
  for (int r : {1, 2, 3}) {
    EXPECT_EQ(reports[r], "ok,ok,ok") << "rank " << r;
  }
}

TEST(RingFailureTest, RankExitingBeforeACollectiveIsNamedByAll) {
  ring_test::Job job;
  job.ranks = 4;
  job.timeout_s = 5;
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int rank) {
    g.barrier();
    if (rank == 2) {
      _exit(0);
    }
    return failing_all_sum(g, size_t(2) << 20);
  });
  for (int r : {0, 1, 3}) {
    EXPECT_TRUE(contains(reports[r], "[ring] all_sum: rank 2 disconnected"))
        << "rank " << r << ": " << reports[r];
    EXPECT_LT(seconds_of(reports[r]), 5.0) << reports[r];
  }
}

TEST(RingFailureTest, RankDyingMidCollectiveIsNamedByAll) {
  ring_test::Job job;
  job.ranks = 4;
  job.timeout_s = 5;
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int rank) {
    g.barrier();
    if (rank == 2) {
      // Dies 20 ms into a 64 MiB all_sum, which takes far longer here.
      std::signal(SIGALRM, [](int) { _exit(0); });
      itimerval t{};
      t.it_value.tv_usec = 20000;
      setitimer(ITIMER_REAL, &t, nullptr);
    }
    return failing_all_sum(g, size_t(16) << 20);
  });
  for (int r : {0, 1, 3}) {
    EXPECT_TRUE(contains(reports[r], "[ring] all_sum: rank 2 disconnected"))
        << "rank " << r << ": " << reports[r];
    EXPECT_LT(seconds_of(reports[r]), 5.0) << reports[r];
  }
}

TEST(RingFailureTest, HungRankTimesOutAndIsNamedByAll) {
  int hold[2];
  ASSERT_EQ(pipe(hold), 0);
  ring_test::Job job;
  job.ranks = 4;
  job.timeout_s = 2;
  // Rank 2 blocks reading `hold` until every other rank has exited (they
  // hold its write end); the test process lets go of it after forking.
  job.close_after_fork = {hold[1]};
  auto reports = ring_test::run(job, [&](ring_test::GroupImpl& g, int rank) {
    g.barrier();
    if (rank == 2) {
      close(hold[1]);
      char byte;
      (void)!read(hold[0], &byte, 1);
      return std::string("released");
    }
    return failing_all_sum(g, size_t(2) << 20);
  });
  close(hold[0]);
  // Whoever times out first tells the others, so each rank either saw it
  // itself or heard it; either way the message names rank 2.
  for (int r : {0, 1, 3}) {
    bool named =
        contains(
            reports[r],
            "[ring] all_sum: timed out after 2 s waiting for rank 2") ||
        contains(reports[r], "[ring] all_sum: rank 2 stopped responding");
    EXPECT_TRUE(named) << "rank " << r << ": " << reports[r];
  }
  for (int r : {0, 1, 3}) {
    // The timeout, plus at most the bystander grace (1 s at a 2 s timeout).
    EXPECT_GE(seconds_of(reports[r]), 1.9) << reports[r];
    EXPECT_LT(seconds_of(reports[r]), 3.5) << reports[r];
  }
  EXPECT_EQ(reports[2], "released");
}

TEST(RingFailureTest, MismatchedMessageSizeIsAnError) {
  ring_test::Job job;
  job.ranks = 3;
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int rank) {
    std::vector<char> buffer(800);
    try {
      if (rank == 0) {
        g.send(buffer.data(), 400, 2);
      } else if (rank == 2) {
        g.recv(buffer.data(), 800, 0);
      }
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("ok");
  });
  EXPECT_EQ(reports[0], "ok");
  EXPECT_EQ(
      reports[2], "[ring] recv: rank 0 sent 400 bytes but 800 were expected");
}
