// Unit tests of mlx.launch's parts: option parsing, hostfiles, ring port
// assignment, the mpirun command line, shell quoting and line relaying. The
// end-to-end behaviour (processes, signals, exit codes) is in launch_test.sh.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "hosts.h"
#include "line_relay.h"
#include "mpi_command.h"
#include "options.h"
#include "ring_hostfile.h"
#include "ring_launch.h"
#include "shell_words.h"

using namespace mlx::launch;

namespace {

LaunchOptions parse(std::vector<std::string> args) {
  return parse_options(args);
}

std::string usage_error(std::vector<std::string> args) {
  try {
    parse_options(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string hostfile_error(const std::string& text) {
  try {
    parse_hostfile(text, "h.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

} // namespace

TEST(LaunchOptionsTest, ParsesEveryOption) {
  auto o = parse(
      {"-n",
       "4",
       "--hosts",
       "a,b",
       "--env",
       "K=V=W",
       "--env=X=",
       "--starting-port=5000",
       "--connections-per-ip",
       "2",
       "--cwd",
       "/d",
       "--verbose",
       "--",
       "prog",
       "--flag"});
  EXPECT_EQ(o.num_ranks, 4);
  EXPECT_EQ(o.hosts, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(o.env.size(), 2u);
  EXPECT_EQ(o.env[0], (std::pair<std::string, std::string>{"K", "V=W"}));
  EXPECT_EQ(o.env[1], (std::pair<std::string, std::string>{"X", ""}));
  EXPECT_EQ(o.starting_port, 5000);
  EXPECT_EQ(o.connections_per_ip, 2);
  EXPECT_EQ(o.cwd, "/d");
  EXPECT_TRUE(o.verbose);
  EXPECT_EQ(o.backend, Backend::Ring);
  EXPECT_EQ(o.program, (std::vector<std::string>{"prog", "--flag"}));
}

TEST(LaunchOptionsTest, ProgramStartsAtFirstNonOption) {
  auto o = parse({"-n3", "--backend", "mpi", "./prog", "-n", "7", "--"});
  EXPECT_EQ(o.num_ranks, 3);
  EXPECT_EQ(o.backend, Backend::Mpi);
  EXPECT_EQ(o.program, (std::vector<std::string>{"./prog", "-n", "7", "--"}));
  EXPECT_FALSE(parse({"prog"}).num_ranks.has_value());
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({"-n", "2", "-h", "prog"}).help);
}

TEST(LaunchOptionsTest, BadArgumentsNameTheProblem) {
  EXPECT_EQ(usage_error({"prog"}), "(no error)");
  EXPECT_EQ(usage_error({}), "no program to launch");
  EXPECT_EQ(
      usage_error({"-n", "-1", "p"}),
      "-n expects an integer from 1 to 65535, got '-1'");
  EXPECT_EQ(
      usage_error({"-n", "2x", "p"}),
      "-n expects an integer from 1 to 65535, got '2x'");
  EXPECT_EQ(usage_error({"--cwd"}), "--cwd expects a value");
  EXPECT_EQ(usage_error({"--cwd=", "p"}), "--cwd expects a value");
  EXPECT_EQ(
      usage_error({"--hosts", "a,,b", "p"}),
      "--hosts expects a comma-separated list of host names (SLURM's "
      "node[01-04,07] form too), got 'a,,b': an empty host name");
  EXPECT_EQ(
      usage_error({"--env", "1X=2", "p"}).rfind("--env expects NAME=VALUE", 0),
      0u);
  EXPECT_EQ(usage_error({"--verbose=1", "p"}), "--verbose takes no value");
  EXPECT_EQ(usage_error({"-x", "p"}), "unknown option '-x'");
  // The ring's limit of sockets per neighbour (ring::kMaxConnections).
  EXPECT_EQ(
      usage_error({"--connections-per-ip", "65", "p"}),
      "--connections-per-ip expects an integer from 1 to 64, got '65'");
  EXPECT_EQ(
      usage_error({"--backend", "mpi", "--connections-per-ip", "2", "p"}),
      "--connections-per-ip applies to --backend ring only");
}

TEST(LaunchHostfileTest, ReadsMlxFormat) {
  auto hosts = parse_hostfile(
      R"([{"ssh": "n1", "ips": ["10.0.0.1", "10.0.1.1"]},
          {"ssh": "n2", "rdma": []}])",
      "h.json");
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].ssh, "n1");
  EXPECT_EQ(hosts[0].ips, (std::vector<std::string>{"10.0.0.1", "10.0.1.1"}));
  EXPECT_EQ(hosts[1].ssh, "n2");
  EXPECT_TRUE(hosts[1].ips.empty());
}

TEST(LaunchHostfileTest, MalformedFilesNameFileAndProblem) {
  EXPECT_EQ(
      hostfile_error("[1]"),
      "hostfile 'h.json': host 0: expected an object like {\"ssh\": "
      "\"name\"}, got number");
  EXPECT_EQ(
      hostfile_error(R"([{"ssh": "a", "ips": [""]}])"),
      "hostfile 'h.json': host 0: \"ips\" must be a list of non-empty "
      "strings");
  EXPECT_EQ(
      hostfile_error(R"([{"ssh": ""}])"),
      "hostfile 'h.json': host 0: \"ssh\" must be a non-empty string");
  EXPECT_EQ(
      hostfile_error("[\n  {\"ssh\": \"a\"}\n  {\"ssh\": \"b\"}]"),
      "hostfile 'h.json': not valid JSON: [json] expected ',' or ']' in "
      "array, found '{' at byte 19 (line 3, column 3)");
}

TEST(LaunchHostsTest, RanksArePlacedRoundRobin) {
  LaunchOptions options;
  EXPECT_EQ(resolve_num_ranks(options, 0), 1);
  EXPECT_EQ(resolve_num_ranks(options, 3), 3);
  options.num_ranks = 5;
  EXPECT_EQ(resolve_num_ranks(options, 3), 5);
  std::vector<size_t> placed;
  for (int r = 0; r < 5; ++r) {
    placed.push_back(host_index_of_rank(r, 3));
  }
  EXPECT_EQ(placed, (std::vector<size_t>{0, 1, 2, 0, 1}));
}

TEST(LaunchHostsTest, RecognizesThisMachine) {
  EXPECT_TRUE(is_loopback_address("127.0.1.1"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_FALSE(is_loopback_address("10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("localhost")); // a name, not an address
  EXPECT_TRUE(is_local_host(Host{"localhost", {}}));
  EXPECT_TRUE(is_local_host(Host{"127.0.0.1", {}}));
  EXPECT_TRUE(is_local_host(Host{"alias", {"127.0.0.1"}}));
  char name[256] = {};
  ASSERT_EQ(gethostname(name, sizeof(name) - 1), 0);
  EXPECT_TRUE(is_local_host(Host{name, {}}));
  // 192.0.2.0/24 is reserved for documentation: never a local address.
  EXPECT_FALSE(is_local_host(Host{"192.0.2.7", {}}));
  EXPECT_FALSE(is_local_host(Host{"no-such-host.invalid", {"192.0.2.8"}}));
}

TEST(LaunchRingHostfileTest, ConsecutivePortsPerRank) {
  std::vector<RankEndpoint> ranks = {
      {{"10.0.0.1"}, false}, {{"10.0.0.2", "10.0.1.2"}, false}};
  auto all_free = [](const std::string&, int) { return true; };
  RingAddresses addresses = assign_ring_addresses(ranks, 5000, 2, all_free);
  EXPECT_EQ(
      ring_hostfile_json(addresses),
      "[\n"
      "  [\"10.0.0.1:5000\", \"10.0.0.1:5001\"],\n"
      "  [\"10.0.0.2:5002\", \"10.0.0.2:5003\", \"10.0.1.2:5002\", "
      "\"10.0.1.2:5003\"]\n"
      "]\n");
}

TEST(LaunchRingHostfileTest, LocalRanksSkipBusyPorts) {
  std::vector<RankEndpoint> ranks = {
      {{"127.0.0.1"}, true}, {{"127.0.0.1"}, true}, {{"10.0.0.3"}, false}};
  // Ports 6001 and 6004 are busy: rank 0 moves to 6002-6003, rank 1 to
  // 6005-6006; the remote rank 2 is not checked.
  auto probe = [](const std::string&, int port) {
    return port != 6001 && port != 6004 && port != 6007;
  };
  RingAddresses addresses = assign_ring_addresses(ranks, 6000, 2, probe);
  EXPECT_EQ(
      addresses,
      (RingAddresses{
          {"127.0.0.1:6002", "127.0.0.1:6003"},
          {"127.0.0.1:6005", "127.0.0.1:6006"},
          {"10.0.0.3:6007", "10.0.0.3:6008"}}));
  EXPECT_THROW(
      assign_ring_addresses(ranks, 65534, 2, probe), std::runtime_error);
}

TEST(LaunchRingHostfileTest, BoundPortIsSeenAsBusy) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0; // the kernel picks a free port
  ASSERT_EQ(
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int busy = ntohs(address.sin_port);
  EXPECT_FALSE(port_is_free("127.0.0.1", busy));
  RingAddresses addresses =
      assign_ring_addresses({{{"127.0.0.1"}, true}}, busy, 1);
  close(fd);
  ASSERT_EQ(addresses.size(), 1u);
  EXPECT_NE(addresses[0][0], "127.0.0.1:" + std::to_string(busy));
}

TEST(LaunchRingRanksTest, PlacementAndProcesses) {
  auto ranks = place_ring_ranks({}, 2);
  ASSERT_EQ(ranks.size(), 2u);
  EXPECT_TRUE(ranks[1].local);
  EXPECT_EQ(ranks[1].ips, (std::vector<std::string>{"127.0.0.1"}));

  ranks = place_ring_ranks({{"localhost", {}}, {"far", {"192.0.2.9"}}}, 3);
  EXPECT_TRUE(ranks[0].local);
  EXPECT_FALSE(ranks[1].local);
  EXPECT_TRUE(ranks[2].local);
  EXPECT_EQ(ranks[1].host, "far");
  EXPECT_EQ(ranks[1].ips, (std::vector<std::string>{"192.0.2.9"}));
  // Local ranks count the ranks placed on the same host.
  EXPECT_EQ(ranks[0].local_rank, 0);
  EXPECT_EQ(ranks[1].local_rank, 0);
  EXPECT_EQ(ranks[2].local_rank, 1);

  LaunchOptions options = parse({"--env", "A=b c", "--cwd", "/w", "p", "x"});
  const std::string secret(64, 'e');
  ProcessSpec local =
      ring_rank_process(0, ranks[0], "/tmp/h", "[]", options, secret);
  EXPECT_EQ(local.argv, (std::vector<std::string>{"p", "x"}));
  EXPECT_EQ(local.cwd, "/w");
  EXPECT_FALSE(local.stdin_pipe);
  EXPECT_EQ(
      local.env,
      (std::vector<std::pair<std::string, std::string>>{
          {"A", "b c"},
          {"MLX_RANK", "0"},
          {"MLX_LOCAL_RANK", "0"},
          {"MLX_HOSTFILE", "/tmp/h"},
          {"MLX_RING_SECRET", secret}}));
  EXPECT_EQ(local.stdin_data, "");

  unsetenv(kSshVariable);
  ProcessSpec remote =
      ring_rank_process(1, ranks[1], "/tmp/h", "[]", options, secret);
  ASSERT_EQ(remote.argv.size(), 3u);
  EXPECT_EQ(remote.argv[0], "ssh");
  EXPECT_EQ(remote.argv[1], "far");
  // The secret goes through ssh's stdin, read by the script's first line.
  EXPECT_EQ(
      remote.argv[2].rfind(
          "sh -c 'IFS= read -r MLX_RING_SECRET || exit 1\n"
          "export MLX_RING_SECRET\ncd /w || exit 127\n",
          0),
      0u);
  EXPECT_EQ(remote.argv[2].find(secret), std::string::npos);
  EXPECT_EQ(remote.stdin_data, secret + "\n");
  EXPECT_NE(
      remote.argv[2].find("env MLX_RANK=1 MLX_LOCAL_RANK=0 "
                          "MLX_HOSTFILE=\"$f\" '\\''A=b c'\\'' "
                          "p x </dev/null"),
      std::string::npos);
  EXPECT_TRUE(remote.stdin_pipe);
}

TEST(LaunchMpiCommandTest, FlagsFollowOptionsAndMachine) {
  LaunchOptions options = parse(
      {"--backend", "mpi", "--env", "A=1", "--mpi-arg", "--tag-output", "p"});
  MpiMachine user_machine{false, 8};
  EXPECT_EQ(
      build_mpirun_command(options, {}, 8, user_machine),
      (std::vector<std::string>{
          "mpirun", "-np", "8", "-x", "A=1", "--tag-output", "p"}));
  MpiMachine root_machine{true, 2};
  options.cwd = "/work dir";
  EXPECT_EQ(
      build_mpirun_command(options, {}, 3, root_machine),
      (std::vector<std::string>{
          "mpirun",
          "-np",
          "3",
          "--allow-run-as-root",
          "--oversubscribe",
          "--wdir",
          "/work dir",
          "-x",
          "A=1",
          "--tag-output",
          "p"}));
  // Hosts get slots for their round-robin share; a repeated host adds up.
  std::vector<Host> hosts = {{"a", {}}, {"b", {}}, {"a", {}}};
  EXPECT_EQ(build_mpirun_command(options, hosts, 4, user_machine)[3], "--host");
  EXPECT_EQ(
      build_mpirun_command(options, hosts, 4, user_machine)[4], "a:3,b:1");
  EXPECT_GE(local_core_count(), 1);
}

TEST(LaunchShellWordsTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote("a/b-c_d.e:f=g,h@i%j+k"), "a/b-c_d.e:f=g,h@i%j+k");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(shell_join({"echo", "a b", "c"}), "echo 'a b' c");
}

TEST(LaunchLineRelayTest, WritesWholePrefixedLines) {
  int ends[2];
  ASSERT_EQ(pipe(ends), 0);
  {
    LineRelay relay(ends[1], "[3] ");
    relay.feed("par");
    relay.feed("tial\nsecond\nthi");
    relay.feed("rd");
    relay.finish();
    relay.feed("\n\n");
  }
  close(ends[1]);
  std::string text;
  char buffer[256];
  ssize_t n;
  while ((n = read(ends[0], buffer, sizeof(buffer))) > 0) {
    text.append(buffer, n);
  }
  close(ends[0]);
  EXPECT_EQ(text, "[3] partial\n[3] second\n[3] third\n[3] \n[3] \n");
}

TEST(LaunchLineRelayTest, OverlongLinesAreSplit) {
  // A file, not a pipe, so that megabytes of output do not block.
  char path[] = "/tmp/line_relay_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  {
    LineRelay relay(fd, "");
    std::string chunk(kMaxBufferedLine / 2, 'x');
    for (int i = 0; i < 5; ++i) {
      relay.feed(chunk);
    }
    relay.finish();
  }
  std::string text(3 * kMaxBufferedLine, '\0');
  ssize_t n = pread(fd, text.data(), text.size(), 0);
  close(fd);
  ASSERT_GT(n, 0);
  text.resize(n);
  // 2.5 lines' worth without a newline: two full pieces, then the rest.
  std::string full(kMaxBufferedLine, 'x');
  std::string expected =
      full + "\n" + full + "\n" + full.substr(kMaxBufferedLine / 2) + "\n";
  EXPECT_EQ(text.size(), expected.size());
  EXPECT_TRUE(text == expected);
}
