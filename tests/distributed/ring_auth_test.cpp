// Authentication of ring connections (MLX_RING_SECRET, distributed/ring/
// listener.h): the handshake over loopback with the right, a wrong or no
// secret, refusals and their log lines, stalled peers on either side, the
// listening address, and whole jobs that rogue clients try to join.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "mlx/distributed/ring/listener.h"
#include "ring_test_utils.h"

namespace {

using namespace mlx::core;
using distributed::detail::ReduceOp;
using Clock = std::chrono::steady_clock;
namespace ring = mlx::core::distributed::ring;

// Two secrets of the accepted length (32+ characters).
const std::string kSecret = "5f2b8c1d9e7a4f3b6c0d1e2f3a4b5c6d-job";
const std::string kOtherSecret = "5f2b8c1d9e7a4f3b6c0d1e2f3a4b5c6d-other";
// The world group's id in handshakes (kWorldGroupId in ring/group.cpp).
constexpr uint64_t kWorldGroup = 1;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A two-rank hostfile on loopback, removed at the end of the test.
class TwoRanks {
public:
  TwoRanks() {
    ring_test::Job job;
    path_ = ring_test::write_hostfile(job);
  }
  ~TwoRanks() { std::remove(path_.c_str()); }
  ring::Config config(int rank, std::string secret, double timeout_s = 5) {
    ring::Config c = ring::make_config(path_, rank, 0, timeout_s);
    c.secret = std::move(secret);
    return c;
  }

private:
  std::string path_;
};

// One handshake from rank `c.rank` to rank `to` over a fresh connection,
// claiming the world group's first socket; "ok" or the error. Returns once
// the listener has closed a refused connection (so its log line is out).
std::string try_handshake(const ring::Config& c, int to) {
  ring::Fd fd = ring_test::connect_raw(c.addresses[to][0]);
  std::string error;
  if (ring::handshake_as_connector(
          fd.get(), c, to, kWorldGroup, 0, ring::Deadline::after(5), error)) {
    return "ok";
  }
  char byte;
  std::string closed;
  ring::recv_exact(fd.get(), &byte, 1, ring::Deadline::after(5), closed);
  return error;
}

// Sends a byte each way over a connected pair.
bool exchange_byte(int a, int b) {
  char x = 'x', y = 0;
  std::string error;
  auto deadline = ring::Deadline::after(5);
  return ring::send_exact(a, &x, 1, deadline, error) &&
         ring::recv_exact(b, &y, 1, deadline, error) && y == 'x' &&
         ring::send_exact(b, &y, 1, deadline, error) &&
         ring::recv_exact(a, &x, 1, deadline, error);
}

// Sends stderr (fd 2) to a temporary file while it lives.
class CapturedStderr {
public:
  CapturedStderr() {
    std::fflush(stderr);
    char name[] = "/tmp/ring_auth_stderr_XXXXXX";
    file_ = mkstemp(name);
    unlink(name);
    saved_ = dup(STDERR_FILENO);
    dup2(file_, STDERR_FILENO);
  }
  ~CapturedStderr() {
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    close(file_);
  }
  std::string text() const {
    std::string all;
    char buf[4096];
    ssize_t n;
    off_t at = 0;
    while ((n = pread(file_, buf, sizeof(buf), at)) > 0) {
      all.append(buf, n);
      at += n;
    }
    return all;
  }

private:
  int file_ = -1;
  int saved_ = -1;
};

// All-sums `count` floats of value rank + 1 and checks the total.
std::string all_sum_ok(ring_test::GroupImpl& g, size_t count) {
  int n = g.size();
  std::vector<float> x(count, float(g.rank() + 1));
  g.all_reduce(x.data(), x.data(), count, float32, ReduceOp::Sum);
  float want = float(n * (n + 1) / 2);
  for (float v : x) {
    if (v != want) {
      return "wrong sum " + std::to_string(v);
    }
  }
  return "ok";
}

} // namespace

TEST(RingAuthTest, RightSecretPassesTheHandshake) {
  TwoRanks job;
  ring::Listener listener(job.config(1, kSecret));
  ring::Config rank0 = job.config(0, kSecret);
  // A single handshake, then connect_to_rank as ranks use it.
  ring::Fd fd = ring_test::connect_raw(rank0.addresses[1][0]);
  std::string error;
  ASSERT_TRUE(ring::handshake_as_connector(
      fd.get(), rank0, 1, kWorldGroup, 0, ring::Deadline::after(5), error))
      << error;
  ring::Fd accepted =
      listener.take(kWorldGroup, 0, 0, ring::Deadline::after(5));
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(exchange_byte(fd.get(), accepted.get()));

  ring::Fd second =
      ring::connect_to_rank(rank0, 1, 7, 3, ring::Deadline::after(5), "test");
  ring::Fd second_accepted = listener.take(7, 0, 3, ring::Deadline::after(5));
  ASSERT_TRUE(second_accepted);
  EXPECT_TRUE(exchange_byte(second.get(), second_accepted.get()));
  EXPECT_EQ(listener.last_refusal(), "");
}

TEST(RingAuthTest, WrongOrMissingSecretIsRefusedAndLogged) {
  TwoRanks job;
  CapturedStderr log;
  ring::Listener listener(job.config(1, kSecret));

  std::string wrong = try_handshake(job.config(0, kOtherSecret), 1);
  EXPECT_TRUE(contains(wrong, "rank 1 did not accept this rank's proof"))
      << wrong;
  EXPECT_TRUE(contains(wrong, "MLX_RING_SECRET differs")) << wrong;
  std::string missing = try_handshake(job.config(0, ""), 1);
  EXPECT_TRUE(contains(
      missing,
      "rank 1 requires a secret (MLX_RING_SECRET) and this rank has "
      "none"))
      << missing;
  // Neither was filed as rank 0's connection.
  EXPECT_FALSE(listener.take(kWorldGroup, 0, 0, ring::Deadline::after(0)));

  std::string text = log.text();
  EXPECT_TRUE(
      contains(text, "[ring] rank 1 refused a connection from 127.0.0.1:"))
      << text;
  EXPECT_TRUE(contains(
      text,
      ": wrong proof of the job's secret (claiming to be rank 0; "
      "MLX_RING_SECRET differs, or it is not of this job)"))
      << text;
  EXPECT_TRUE(contains(
      text,
      ": no proof of the job's secret (MLX_RING_SECRET is not set "
      "there)"))
      << text;
  EXPECT_FALSE(contains(text, kSecret)) << text;
  EXPECT_TRUE(contains(listener.last_refusal(), "from 127.0.0.1:"));

  // The listener carries on: the real rank 0 gets in.
  EXPECT_EQ(try_handshake(job.config(0, kSecret), 1), "ok");
  EXPECT_TRUE(listener.take(kWorldGroup, 0, 0, ring::Deadline::after(5)));
}

TEST(RingAuthTest, SecretOnOneSideOnlyIsRefusedBothWays) {
  TwoRanks job;
  CapturedStderr log;
  ring::Listener listener(job.config(1, ""));
  std::string error = try_handshake(job.config(0, kSecret), 1);
  EXPECT_TRUE(contains(
      error, "rank 1 has no secret (MLX_RING_SECRET) but this rank has one"))
      << error;
  EXPECT_TRUE(contains(
      log.text(),
      ": it has a secret but this rank has none (MLX_RING_SECRET is not set "
      "here)"))
      << log.text();
  // Without secrets on both sides the ring works as before.
  EXPECT_EQ(try_handshake(job.config(0, ""), 1), "ok");
}

TEST(RingAuthTest, StrangersAreRefusedAtOnceStalledClientsAfterTheTimeout) {
  TwoRanks job;
  CapturedStderr log;
  // MLX_DIST_TIMEOUT of 1 s caps the handshake's 10 s.
  ring::Config rank1 = job.config(1, kSecret, 1);
  ring::Listener listener(rank1);
  const ring::Address& address = rank1.addresses[1][0];
  auto start = Clock::now();
  // An HTTP request shorter than a Hello is refused at once.
  ring::Fd http = ring_test::connect_raw(address);
  const char request[] = "GET / HTTP/1.0\r\n\r\n";
  std::string error;
  ASSERT_TRUE(ring::send_exact(
      http.get(),
      request,
      sizeof(request) - 1,
      ring::Deadline::after(5),
      error));
  char byte;
  EXPECT_FALSE(ring::recv_exact(
      http.get(), &byte, 1, ring::Deadline::after(0.5), error));
  EXPECT_EQ(error, "connection closed");
  EXPECT_LT(seconds_since(start), 0.5);
  EXPECT_TRUE(contains(log.text(), ": not an MLX ring handshake"))
      << log.text();
  // Silent; half a Hello; a whole Hello and then no proof.
  ring::Fd silent = ring_test::connect_raw(address);
  ring::Fd half = ring_test::connect_raw(address);
  ring::Fd no_proof = ring_test::connect_raw(address);
  ring::Hello hello;
  hello.job_hash = rank1.job_hash;
  hello.group_id = kWorldGroup;
  hello.world_size = 2;
  hello.from_rank = 0;
  hello.to_rank = 1;
  hello.authenticated = true;
  unsigned char bytes[ring::Hello::kBytes];
  hello.encode(bytes);
  ASSERT_TRUE(ring::send_exact(
      half.get(), bytes, sizeof(bytes) / 2, ring::Deadline::after(5), error));
  ASSERT_TRUE(ring::send_exact(
      no_proof.get(), bytes, sizeof(bytes), ring::Deadline::after(5), error));
  unsigned char reply[ring::Hello::kBytes];
  ASSERT_TRUE(ring::recv_exact(
      no_proof.get(), reply, sizeof(reply), ring::Deadline::after(5), error))
      << error;
  for (ring::Fd* fd : {&silent, &half, &no_proof}) {
    error.clear();
    EXPECT_FALSE(ring::recv_exact(
        fd->get(), &byte, 1, ring::Deadline::after(10), error));
    EXPECT_EQ(error, "connection closed");
  }
  double seconds = seconds_since(start);
  EXPECT_GE(seconds, 0.9);
  EXPECT_LT(seconds, 5);
  EXPECT_TRUE(
      contains(log.text(), ": its handshake stalled; dropped after 1 s"))
      << log.text();
  // Still listening.
  EXPECT_EQ(try_handshake(job.config(0, kSecret), 1), "ok");
}

TEST(RingAuthTest, StalledListenerTimesOutTheConnector) {
  TwoRanks job;
  ring::Config rank0 = job.config(0, kSecret, 1);
  // A socket that listens but never accepts nor answers: the kernel
  // completes connections into its backlog, the handshake gets nothing.
  ring::Fd mute = ring::listen_on(rank0.addresses[1][0], 1);
  auto start = Clock::now();
  std::string message;
  try {
    ring::connect_to_rank(
        rank0, 1, kWorldGroup, 0, ring::Deadline::after(1), "init");
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  EXPECT_LT(seconds_since(start), 5);
  EXPECT_TRUE(contains(
      message,
      "[ring] init: timed out after 1 s connecting to rank 1 at "
      "127.0.0.1:"))
      << message;
  EXPECT_TRUE(contains(message, "handshake failed: timed out")) << message;
}

TEST(RingAuthTest, ListenerBindsOnlyItsHostfileAddress) {
  // All of 127.0.0.0/8 reaches this machine: a socket on every interface
  // would take connections to 127.0.0.2 as well.
  TwoRanks job;
  ring::Config rank1 = job.config(1, kSecret);
  ring::Address other = rank1.addresses[1][0];
  other.host = "127.0.0.2";
  other.text = "127.0.0.2:" + std::to_string(other.port);
  {
    ring::Address any = other;
    any.host = "0.0.0.0";
    ring::Fd wildcard = ring::listen_on(any, 1);
    std::string error;
    if (!ring::try_connect(other, ring::Deadline::after(5), error)) {
      GTEST_SKIP() << "127.0.0.2 does not reach this machine: " << error;
    }
  }
  ring::Listener listener(rank1);
  std::string error;
  EXPECT_FALSE(ring::try_connect(other, ring::Deadline::after(5), error));
  EXPECT_EQ(error, "Connection refused");
  EXPECT_TRUE(
      ring::try_connect(rank1.addresses[1][0], ring::Deadline::after(5), error))
      << error;
}

// Rank 0 first sends rogues to rank 1, each claiming to be rank 0 on the
// world group's first socket: without the secret, and with a wrong one.
// They are refused, and the job then runs collectives and a split.
TEST(RingAuthTest, AuthenticatedJobCompletesDespiteRogueClients) {
  static std::string rogue_results;
  ring_test::Job job;
  job.ranks = 3;
  job.secret = kSecret;
  job.before_init = [](int rank, ring::Config& c) {
    if (rank != 0) {
      return;
    }
    for (const std::string& secret : {std::string(), kOtherSecret}) {
      ring::Config rogue = c;
      rogue.secret = secret;
      rogue_results += try_handshake(rogue, 1) == "ok" ? "in," : "refused,";
    }
  };
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int rank) {
    std::string result = all_sum_ok(g, 100000);
    auto sub = g.split(rank % 2, -1);
    result += "," + all_sum_ok(*sub, 1000);
    return rank == 0 ? rogue_results + result : result;
  });
  EXPECT_EQ(reports[0], "refused,refused,ok,ok");
  EXPECT_EQ(reports[1], "ok,ok");
  EXPECT_EQ(reports[2], "ok,ok");
}

TEST(RingAuthTest, RankWithAnotherSecretFailsWithinTheTimeout) {
  ring_test::Job job;
  job.secret = kSecret;
  job.timeout_s = 2;
  job.before_init = [](int rank, ring::Config& c) {
    if (rank == 1) {
      c.secret = kOtherSecret;
    }
  };
  auto start = Clock::now();
  auto reports = ring_test::run(
      job, [](ring_test::GroupImpl& g, int) { return all_sum_ok(g, 10); });
  EXPECT_LT(seconds_since(start), 20);
  EXPECT_TRUE(contains(
      reports[0],
      "exception: [ring] init: timed out after 2 s connecting to rank 1"))
      << reports[0];
  EXPECT_TRUE(contains(reports[0], "MLX_RING_SECRET differs between the ranks"))
      << reports[0];
  EXPECT_TRUE(contains(
      reports[1],
      "exception: [ring] init: timed out after 2 s waiting for rank 0 to "
      "connect (last refused connection from 127.0.0.1:"))
      << reports[1];
  EXPECT_TRUE(contains(reports[1], "wrong proof of the job's secret"))
      << reports[1];
}
