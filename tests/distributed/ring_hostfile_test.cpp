// The ring backend's configuration: the JSON reader, "host:port" addresses,
// hostfiles (good and malformed) and the MLX_RANK / MLX_HOSTFILE /
// MLX_RING_CONNECTIONS / MLX_RING_SECRET environment.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "mlx/distributed/ring/config.h"
#include "mlx/distributed/ring/json.h"
#include "mlx/distributed/ring/ring.h"

namespace ring = mlx::core::distributed::ring;
namespace json = mlx::core::distributed::json;

namespace {

// The what() of the std::invalid_argument `fn` throws ("" if none).
template <typename F> std::string invalid_argument_message(F&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A hostfile on disk, removed at the end of the test.
class TempHostfile {
public:
  explicit TempHostfile(const std::string& text) {
    char name[] = "/tmp/ring_hostfile_test_XXXXXX";
    int fd = mkstemp(name);
    path_ = name;
    std::FILE* f = fdopen(fd, "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  ~TempHostfile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// Sets environment variables for one test and restores them after.
class ScopedEnv {
public:
  void set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(
        name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        setenv(it->first.c_str(), it->second->c_str(), 1);
      } else {
        unsetenv(it->first.c_str());
      }
    }
  }

private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

} // namespace

TEST(RingJsonTest, ParsesNestedValuesAndEscapes) {
  json::Value v =
      json::parse(" { \"ranks\": [[\"127.0.0.1:5000\"], []], \"n\": -1.5e2, "
                  "\"ok\": true, \"none\": null, \"s\": "
                  "\"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\" } ");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.find("ranks")->as_array().size(), 2u);
  EXPECT_EQ(
      v.find("ranks")->as_array()[0].as_array()[0].as_string(),
      "127.0.0.1:5000");
  EXPECT_EQ(v.find("n")->as_number(), -150.0);
  EXPECT_TRUE(v.find("ok")->as_bool());
  EXPECT_TRUE(v.find("none")->is_null());
  // é is C3 A9 in UTF-8, U+1F600 (a surrogate pair) is F0 9F 98 80.
  EXPECT_EQ(v.find("s")->as_string(), "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(RingJsonTest, ErrorsNameTheByteOffset) {
  struct Case {
    const char* text;
    const char* message;
  };
  // Offsets counted by hand from the start of each text.
  Case cases[] = {
      {"[1,]", "expected a value, found ']' at byte 3"},
      {"[\"a\" \"b\"]", "expected ',' or ']' in array, found '\"' at byte 5"},
      {"{\"a\" 1}", "expected ':', found '1' at byte 5"},
      {"\"abc", "unterminated string at byte 4"},
      {"[1] x", "unexpected trailing characters at byte 4"},
      {"[\n  \"\\q\"]",
       "invalid escape in string, found 'q' at byte 6 (line 2, column 5)"},
      {"", "expected a value but the text ended at byte 0"},
      {"01", "unexpected trailing characters at byte 1"},
      {"[tru]", "invalid literal, found 't' at byte 1"},
      {"\"\\ud800\"", "unpaired surrogate"},
  };
  for (auto& c : cases) {
    std::string message =
        invalid_argument_message([&] { json::parse(c.text); });
    EXPECT_TRUE(contains(message, c.message)) << c.text << " -> " << message;
    EXPECT_EQ(message.rfind("[json]", 0), 0u) << message;
  }
  std::string deep(1000, '[');
  EXPECT_TRUE(contains(
      invalid_argument_message([&] { json::parse(deep); }), "nesting deeper"));
  EXPECT_TRUE(contains(
      invalid_argument_message([] { json::parse("[1]").as_object(); }),
      "expected object, got array"));
}

TEST(RingHostfileTest, ParsesIpv4HostnamesAndIpv6) {
  auto addresses = ring::parse_hostfile(
      "[[\"127.0.0.1:5000\", \"127.0.0.1:5001\"],\n"
      " [\"localhost:6000\"], [\"[::1]:7000\"]]",
      "hosts.json");
  ASSERT_EQ(addresses.size(), 3u);
  ASSERT_EQ(addresses[0].size(), 2u);
  EXPECT_EQ(addresses[0][1].host, "127.0.0.1");
  EXPECT_EQ(addresses[0][1].port, 5001);
  EXPECT_EQ(addresses[1][0].host, "localhost");
  EXPECT_EQ(addresses[1][0].port, 6000);
  EXPECT_EQ(addresses[2][0].host, "::1");
  EXPECT_EQ(addresses[2][0].port, 7000);
  EXPECT_EQ(addresses[2][0].text, "[::1]:7000");
}

TEST(RingHostfileTest, HashIgnoresWhitespaceButNotAddresses) {
  auto a = ring::parse_hostfile("[[\"h:1\"],[\"h:2\"]]", "a");
  auto b = ring::parse_hostfile("[ [ \"h:1\" ] ,\n [ \"h:2\" ] ]", "b");
  auto c = ring::parse_hostfile("[[\"h:1\"],[\"h:3\"]]", "c");
  EXPECT_EQ(ring::hostfile_hash(a), ring::hostfile_hash(b));
  EXPECT_NE(ring::hostfile_hash(a), ring::hostfile_hash(c));
}

TEST(RingHostfileTest, MalformedFilesNameTheFileAndTheProblem) {
  struct Case {
    const char* text;
    const char* message;
  };
  Case cases[] = {
      {"[[\"127.0.0.1:5000\"]",
       "expected ',' or ']' in array but the text ended at byte 19"},
      {"{\"hosts\": []}",
       "expected a JSON list with one entry per rank, got object"},
      {"[]", "the list of ranks is empty"},
      {"[\"127.0.0.1:5000\"]",
       "entry 0 must be a list of \"host:port\" strings, got string"},
      {"[[\"127.0.0.1:5000\"], []]", "entry 1 lists no address"},
      {"[[5000]]",
       "entry 0, item 0 must be a \"host:port\" string, got number"},
      {"[[\"127.0.0.1\"]]", "address \"127.0.0.1\" is missing a port"},
      {"[[\"127.0.0.1:\"]]", "is missing a port"},
      {"[[\"127.0.0.1:70000\"]]", "has an invalid port"},
      {"[[\"127.0.0.1:0\"]]", "has an invalid port"},
      {"[[\"127.0.0.1:50x\"]]", "has an invalid port"},
      {"[[\":5000\"]]", "has an empty host"},
      {"[[\"::1:5000\"]]", "looks like IPv6 without brackets"},
      {"[[\"[::1:5000\"]]", "has '[' without ']'"},
      {"[[\"[::1]5000\"]]", "is missing a port"},
  };
  for (auto& c : cases) {
    std::string message = invalid_argument_message(
        [&] { ring::parse_hostfile(c.text, "/path/hosts.json"); });
    EXPECT_TRUE(contains(message, "[ring] invalid hostfile '/path/hosts.json'"))
        << message;
    EXPECT_TRUE(contains(message, c.message)) << c.text << " -> " << message;
  }
}

TEST(RingHostfileTest, ConnectionsDefaultToTheLongestAddressList) {
  TempHostfile file(
      "[[\"127.0.0.1:5000\", \"127.0.0.1:5001\"], [\"127.0.0.1:5002\"]]");
  auto config = ring::make_config(file.path(), 1, 0, 5);
  EXPECT_EQ(config.size(), 2);
  EXPECT_EQ(config.rank, 1);
  EXPECT_EQ(config.connections, 2);
  EXPECT_EQ(config.timeout_s, 5);
  EXPECT_EQ(ring::make_config(file.path(), 0, 3, 5).connections, 3);
}

TEST(RingEnvTest, NotConfiguredGivesNullUnlessStrict) {
  ScopedEnv env;
  env.set("MLX_RANK", nullptr);
  env.set("MLX_HOSTFILE", nullptr);
  EXPECT_EQ(ring::init(false), nullptr);
  std::string message = invalid_argument_message([] { ring::init(true); });
  EXPECT_TRUE(contains(message, "[ring] MLX_HOSTFILE is not set")) << message;
}

TEST(RingEnvTest, BadSettingsAreClearErrors) {
  TempHostfile file("[[\"127.0.0.1:5000\"], [\"127.0.0.1:5001\"]]");
  TempHostfile bad("[[\"127.0.0.1:5000\"], [\"127.0.0.1\"]]");
  struct Case {
    const char* rank;
    const char* hostfile;
    const char* connections;
    std::string message;
  };
  Case cases[] = {
      {"0", nullptr, nullptr, "MLX_HOSTFILE is not set"},
      {nullptr, file.path().c_str(), nullptr, "MLX_RANK is not set"},
      {"2",
       file.path().c_str(),
       nullptr,
       "MLX_RANK=2 is out of range: '" + file.path() + "' lists 2 ranks"},
      {"-1",
       file.path().c_str(),
       nullptr,
       "MLX_RANK=-1 is not a non-negative integer"},
      {"one", file.path().c_str(), nullptr, "MLX_RANK=one is not"},
      {"0",
       "/nonexistent/hosts.json",
       nullptr,
       "cannot read hostfile '/nonexistent/hosts.json'"},
      {"0",
       bad.path().c_str(),
       nullptr,
       "invalid hostfile '" + bad.path() +
           "': entry 1: address \"127.0.0.1\" is missing a port"},
      {"0",
       file.path().c_str(),
       "0",
       "MLX_RING_CONNECTIONS=0 must be an integer"},
      {"0",
       file.path().c_str(),
       "x",
       "MLX_RING_CONNECTIONS=x must be an integer"},
  };
  for (auto& c : cases) {
    ScopedEnv env;
    env.set("MLX_RANK", c.rank);
    env.set("MLX_HOSTFILE", c.hostfile);
    env.set("MLX_RING_CONNECTIONS", c.connections);
    for (bool strict : {false, true}) {
      std::string message =
          invalid_argument_message([&] { ring::init(strict); });
      EXPECT_TRUE(contains(message, c.message)) << message;
      EXPECT_EQ(message.rfind("[ring]", 0), 0u) << message;
    }
  }
}

TEST(RingEnvTest, SingleRankHostfileGivesAGroupOfOne) {
  TempHostfile file("[[\"127.0.0.1:5000\"]]");
  ScopedEnv env;
  env.set("MLX_RANK", "0");
  env.set("MLX_HOSTFILE", file.path().c_str());
  auto group = ring::init(true);
  ASSERT_NE(group, nullptr);
  EXPECT_EQ(group->size(), 1);
  EXPECT_EQ(group->rank(), 0);
  EXPECT_STREQ(group->backend(), "ring");
  float in[3] = {1, 2, 3}, out[3] = {};
  group->all_reduce(
      in,
      out,
      3,
      mlx::core::float32,
      mlx::core::distributed::detail::ReduceOp::Sum);
  EXPECT_EQ(out[2], 3.0f);
  EXPECT_EQ(group->split(0, -1)->size(), 1);
}

TEST(RingEnvTest, SecretComesFromTheEnvironment) {
  TempHostfile file("[[\"127.0.0.1:5000\"], [\"127.0.0.1:5001\"]]");
  ScopedEnv env;
  env.set("MLX_RANK", "1");
  env.set("MLX_HOSTFILE", file.path().c_str());
  env.set("MLX_RING_SECRET", nullptr);
  EXPECT_EQ(ring::config_from_env(true)->secret, "");
  const std::string good(64, 'f');
  env.set("MLX_RING_SECRET", good.c_str());
  EXPECT_EQ(ring::config_from_env(true)->secret, good);
  // Too short, or set but empty: the message gives the length, never the
  // value (it would end up in logs).
  for (const char* bad : {"hunter2", ""}) {
    env.set("MLX_RING_SECRET", bad);
    std::string message =
        invalid_argument_message([] { ring::config_from_env(true); });
    std::string expected = "[ring] MLX_RING_SECRET is " +
                           std::to_string(std::strlen(bad)) +
                           " characters long; it must have at least 32";
    EXPECT_EQ(message.rfind(expected, 0), 0u) << message;
    EXPECT_TRUE(*bad == 0 || !contains(message, bad)) << message;
  }
}
