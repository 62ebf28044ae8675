// Ring backend sub-groups (split into sub-rings, with collectives inside,
// nested, and of size one) and point-to-point messages between ranks that
// are not ring neighbours, and addresses given as IPv6 or host names.
#include <gtest/gtest.h>

#include <numeric>
#include <sstream>

#include "ring_test_utils.h"

namespace {

using namespace mlx::core;
using distributed::detail::ReduceOp;

// Sum over the group of (world rank + 1), checked against `want`.
std::string
sum_of_ranks(ring_test::GroupImpl& g, int world_rank, int64_t want) {
  std::vector<int64_t> x(100003, world_rank + 1);
  g.all_reduce(x.data(), x.data(), x.size(), int64, ReduceOp::Sum);
  for (auto v : x) {
    if (v != want) {
      return "sum " + std::to_string(v) + " != " + std::to_string(want) + "; ";
    }
  }
  return "";
}

} // namespace

TEST(RingSplitTest, SubRingsRunCollectivesInKeyOrder) {
  ring_test::Job job;
  job.ranks = 4;
  job.addresses_per_rank = 2;
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int r) {
    std::ostringstream errors;
    // Even and odd ranks; key 10 - r reverses their order inside each group.
    auto sub = g.split(r % 2, 10 - r);
    int want_rank = r < 2 ? 1 : 0;
    if (sub->size() != 2 || sub->rank() != want_rank) {
      errors << "sub size " << sub->size() << " rank " << sub->rank() << "; ";
    }
    // Members of {0, 2} sum (0+1)+(2+1) = 4; of {1, 3}: 2+4 = 6.
    errors << sum_of_ranks(*sub, r, r % 2 ? 6 : 4);
    // A gather in the sub-group lists members in sub-group rank order.
    int32_t mine = r, all[2];
    sub->all_gather(&mine, all, sizeof(mine));
    int32_t first = r % 2 ? 3 : 2;
    if (all[0] != first || all[1] != first - 2) {
      errors << "gather " << all[0] << "," << all[1] << "; ";
    }
    // The world group still works, interleaved with the sub-group.
    errors << sum_of_ranks(g, r, 1 + 2 + 3 + 4);
    errors << sum_of_ranks(*sub, r, r % 2 ? 6 : 4);
    // Point-to-point inside the sub-group.
    int64_t value = r;
    if (sub->rank() == 0) {
      sub->send(&value, sizeof(value), 1);
    } else {
      sub->recv(&value, sizeof(value), 0);
      if (value != r + 2) {
        errors << "sub recv " << value << "; ";
      }
    }
    // Nested: each member alone (color = world rank), then a split where
    // everyone picks the same color, which is the whole world again.
    auto alone = sub->split(r, -1);
    errors << sum_of_ranks(*alone, r, r + 1);
    auto again = g.split(0, -1);
    if (again->rank() != r || again->size() != 4) {
      errors << "resplit rank " << again->rank() << "; ";
    }
    errors << sum_of_ranks(*again, r, 10);
    std::string e = errors.str();
    return e.empty() ? std::string("ok") : e;
  });
  for (size_t r = 0; r < reports.size(); ++r) {
    EXPECT_EQ(reports[r], "ok") << "rank " << r;
  }
}

TEST(RingSendRecvTest, NonNeighboursExchangeLargeAndSmallMessages) {
  ring_test::Job job;
  job.ranks = 5;
  job.connections = 3;
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int r) {
    std::ostringstream errors;
    // Pairs (0, 2), (3, 1) and (4, 2) are not neighbours on a ring of 5.
    struct Message {
      int from, to;
      size_t bytes;
    };
    Message messages[] = {
        {0, 2, 1}, {0, 2, 5 << 20}, {3, 1, 777}, {2, 4, 0}, {4, 2, 3 << 20}};
    for (auto& m : messages) {
      std::vector<unsigned char> data(m.bytes);
      if (r == m.from) {
        for (size_t i = 0; i < m.bytes; ++i) {
          data[i] = static_cast<unsigned char>(i * 13 + m.from);
        }
        g.send(data.data(), m.bytes, m.to);
      } else if (r == m.to) {
        g.recv(data.data(), m.bytes, m.from);
        for (size_t i = 0; i < m.bytes; ++i) {
          if (data[i] != static_cast<unsigned char>(i * 13 + m.from)) {
            errors << "message " << m.from << "->" << m.to << " wrong at " << i
                   << "; ";
            break;
          }
        }
      }
    }
    // Collectives still line up after the extra links.
    errors << sum_of_ranks(g, r, 15);
    std::string e = errors.str();
    return e.empty() ? std::string("ok") : e;
  });
  for (size_t r = 0; r < reports.size(); ++r) {
    EXPECT_EQ(reports[r], "ok") << "rank " << r;
  }
}

TEST(RingSendRecvTest, BadPeersAreInvalidArguments) {
  ring_test::Job job;
  job.ranks = 2;
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int r) {
    char byte = 0;
    std::string result;
    for (int peer : {r, 2, -1}) {
      try {
        g.send(&byte, 1, peer);
      } catch (const std::invalid_argument& e) {
        result += std::string(e.what()) + "|";
      }
    }
    return result;
  });
  EXPECT_EQ(
      reports[0],
      "[ring] send: rank 0 cannot send to itself|"
      "[ring] send: rank 2 is out of range for a group of 2|"
      "[ring] send: rank -1 is out of range for a group of 2|");
}

TEST(RingAddressTest, Ipv6AndHostnameAddressesConnect) {
  // Skipped where the machine has no IPv6 loopback (some containers).
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  bool has_ipv6 =
      fd >= 0 &&
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  if (!has_ipv6) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  ring_test::Job job;
  job.ranks = 3;
  job.hosts = {"[::1]", "localhost", "127.0.0.1"};
  auto reports = ring_test::run(job, [](ring_test::GroupImpl& g, int r) {
    std::string e = sum_of_ranks(g, r, 1 + 2 + 3);
    // Point-to-point from the 127.0.0.1 rank to the "localhost" one.
    int64_t v = 7;
    if (r == 2) {
      g.send(&v, sizeof(v), 1);
    } else if (r == 1) {
      v = 0;
      g.recv(&v, sizeof(v), 2);
    }
    return e.empty() && v == 7 ? std::string("ok") : e + "bad message";
  });
  for (size_t r = 0; r < reports.size(); ++r) {
    EXPECT_EQ(reports[r], "ok") << "rank " << r;
  }
}
