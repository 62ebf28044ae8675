// A tiny program for the launcher tests to start as ranks. It reads its rank
// from MLX_RANK (or OMPI_COMM_WORLD_RANK under mpirun) and does one thing:
//
//   rank_probe lines COUNT         COUNT "out ..." lines on stdout and "err
//   ..."
//                                  lines on stderr, each written in pieces
//   rank_probe fail RANK CODE      rank RANK exits with CODE, the others block
//   rank_probe signal RANK SIGNAL  rank RANK kills itself with SIGNAL, the
//                                  others block
//   rank_probe ignore-term         ignores SIGTERM, prints "ready", blocks
//   rank_probe report-signal       prints "ready", then on SIGINT/SIGTERM
//                                  prints "got signal N" and exits 0
//   rank_probe hold-lock FILE      locks FILE (flock), prints "ready", blocks
//   rank_probe env NAME...         prints NAME=value (or NAME unset)
//   rank_probe cwd                 prints the working directory
//   rank_probe hostfile            prints the file MLX_HOSTFILE names
//   rank_probe secret              checks MLX_RING_SECRET: prints "secret
//                                  <length> <first 8 characters>" and
//                                  "secret found in ..." for each command
//                                  line of this process and its ancestors
//                                  (ps shows them to every user), or the
//                                  hostfile, that contains it
//
// "Blocks" means pause(): only a signal ends it.
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

int my_rank() {
  for (const char* name : {"MLX_RANK", "OMPI_COMM_WORLD_RANK"}) {
    if (const char* value = std::getenv(name)) {
      return std::atoi(value);
    }
  }
  return -1;
}

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      std::exit(1);
    }
    done += static_cast<size_t>(n);
  }
}

// Each line goes out in three write() calls with yields between them, so
// that a launcher copying bytes rather than lines would mix ranks mid-line.
void write_in_pieces(int fd, const std::string& line) {
  size_t third = line.size() / 3;
  write_all(fd, line.substr(0, third));
  sched_yield();
  write_all(fd, line.substr(third, third));
  sched_yield();
  write_all(fd, line.substr(2 * third));
}

void print_lines(int rank, int count) {
  char letter = static_cast<char>('a' + rank % 26);
  for (int i = 0; i < count; ++i) {
    std::string body = "rank=" + std::to_string(rank) +
                       " line=" + std::to_string(i) + " " +
                       std::string(40 + (i * 37) % 300, letter) + " end\n";
    write_in_pieces(STDOUT_FILENO, "out " + body);
    write_in_pieces(STDERR_FILENO, "err " + body);
  }
}

[[noreturn]] void block_forever() {
  while (true) {
    pause();
  }
}

void say(const std::string& line) {
  write_all(STDOUT_FILENO, line + "\n");
}

void report_signal(int sig) {
  char text[32];
  int n = std::snprintf(text, sizeof(text), "got signal %d\n", sig);
  ssize_t ignored = write(STDOUT_FILENO, text, n);
  (void)ignored;
  _exit(0);
}

std::string read_whole(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The parent of `pid` from /proc/<pid>/stat (the field after the
// parenthesized command name); 0 when unknown.
int parent_of(int pid) {
  std::string stat = read_whole("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  int ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

void check_secret() {
  const char* value = std::getenv("MLX_RING_SECRET");
  if (!value) {
    say("secret unset");
    return;
  }
  std::string secret = value;
  say("secret " + std::to_string(secret.size()) + " " + secret.substr(0, 8));
  for (int pid = getpid(); pid > 1; pid = parent_of(pid)) {
    // Arguments are NUL-separated; the secret contains no NUL.
    std::string cmdline =
        read_whole("/proc/" + std::to_string(pid) + "/cmdline");
    if (cmdline.find(secret) != std::string::npos) {
      say("secret found in the command line of pid " + std::to_string(pid));
    }
  }
  const char* hostfile = std::getenv("MLX_HOSTFILE");
  if (hostfile && read_whole(hostfile).find(secret) != std::string::npos) {
    say("secret found in the hostfile");
  }
}

int usage() {
  std::cerr << "rank_probe: see the comment at the top of rank_probe.cpp\n";
  return 64;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    return usage();
  }
  std::string mode = argv[1];
  int rank = my_rank();
  if (mode == "lines" && argc == 3) {
    print_lines(rank, std::atoi(argv[2]));
  } else if (mode == "fail" && argc == 4) {
    if (rank == std::atoi(argv[2])) {
      say("failing");
      return std::atoi(argv[3]);
    }
    say("blocking");
    block_forever();
  } else if (mode == "signal" && argc == 4) {
    if (rank == std::atoi(argv[2])) {
      std::signal(std::atoi(argv[3]), SIG_DFL);
      raise(std::atoi(argv[3]));
    }
    block_forever();
  } else if (mode == "ignore-term" && argc == 2) {
    std::signal(SIGTERM, SIG_IGN);
    say("ready");
    block_forever();
  } else if (mode == "report-signal" && argc == 2) {
    std::signal(SIGINT, report_signal);
    std::signal(SIGTERM, report_signal);
    say("ready");
    block_forever();
  } else if (mode == "hold-lock" && argc == 3) {
    int fd = open(argv[2], O_RDWR | O_CREAT, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
      std::perror("rank_probe: hold-lock");
      return 1;
    }
    say("ready");
    block_forever();
  } else if (mode == "env") {
    for (int i = 2; i < argc; ++i) {
      const char* value = std::getenv(argv[i]);
      say(std::string(argv[i]) + (value ? "=" + std::string(value) : " unset"));
    }
  } else if (mode == "cwd" && argc == 2) {
    char buffer[4096];
    say(getcwd(buffer, sizeof(buffer)) ? buffer : "(getcwd failed)");
  } else if (mode == "hostfile" && argc == 2) {
    const char* path = std::getenv("MLX_HOSTFILE");
    std::ifstream file(path ? path : "");
    if (!file) {
      std::cerr << "rank_probe: cannot read MLX_HOSTFILE\n";
      return 1;
    }
    std::cout << file.rdbuf();
  } else if (mode == "secret" && argc == 2) {
    check_secret();
  } else {
    return usage();
  }
  return 0;
}
