// The ring backend: writes the ring hostfile, starts local ranks directly
// and remote ones over ssh, and supervises them all.
#pragma once

#include <string>
#include <vector>

#include "hosts.h"
#include "options.h"
#include "ring_hostfile.h"
#include "supervisor.h"

namespace mlx::launch {

/** Environment variables a ring rank reads (as MLX's ring backend). */
inline constexpr const char* kRankVariable = "MLX_RANK";
/** A rank's index among the ranks on its host. */
inline constexpr const char* kLocalRankVariable = "MLX_LOCAL_RANK";
inline constexpr const char* kHostfileVariable = "MLX_HOSTFILE";
/** The job's secret, proving to each rank that a connection comes from
 * another rank of the job (as distributed/ring/config.h). */
inline constexpr const char* kSecretVariable = "MLX_RING_SECRET";

/** Names the program used to reach remote hosts instead of `ssh` (a wrapper
 * adding ssh options, or a stand-in in tests). */
inline constexpr const char* kSshVariable = "MLX_LAUNCH_SSH";

/** One rank of a ring job: where it runs and listens. */
struct RingRank {
  /** The host's ssh name; empty when no hosts were given. */
  std::string host;
  /** Started directly (this machine) or over ssh. */
  bool local = true;
  /** The addresses it listens on, before ports are added. */
  std::vector<std::string> ips;
  /** Its index among the ranks on the same host (exported as
   * MLX_LOCAL_RANK: the GPU backend picks a device by it). */
  int local_rank = 0;
};

/** Places `num_ranks` ranks on `hosts` (round robin; all on 127.0.0.1 when
 * `hosts` is empty). Ranks on hosts without "ips" listen on the host name's
 * IPv4 address (looked up here), or on 127.0.0.1 when the whole job runs on
 * this machine. */
std::vector<RingRank>
place_ring_ranks(const std::vector<Host>& hosts, int num_ranks);

/** The job's secret: MLX_RING_SECRET from the launcher's environment when
 * set there (to pin one), else 32 random bytes (getrandom) as 64 hex
 * digits, new for every job. Throws UsageError when --env sets it (that
 * would put it on command lines) or it is shorter than the ring accepts. */
std::string job_secret(const LaunchOptions& options);

/** The POSIX sh script a remote rank runs: it reads the job's secret from
 * the first line of its stdin, goes to `cwd`, writes the hostfile to a
 * temporary file, and runs the program with the rank's variables; it stops
 * the program when its stdin (the launcher's pipe to ssh) closes, so a
 * stopped or killed launcher leaves nothing behind. */
std::string remote_rank_script(
    int rank,
    const std::string& hostfile_json,
    const std::string& cwd,
    const LaunchOptions& options,
    int local_rank = 0);

/** The process for rank `rank`: the program itself for a local rank (the
 * secret in its environment), else `ssh host 'sh -c <script>'` (the secret
 * written to ssh's stdin). */
ProcessSpec ring_rank_process(
    int rank,
    const RingRank& placement,
    const std::string& hostfile_path,
    const std::string& hostfile_json,
    const LaunchOptions& options,
    const std::string& secret);

/** Runs the job; returns the launcher's exit code. */
int run_ring_job(
    const LaunchOptions& options,
    const std::vector<Host>& hosts,
    int num_ranks);

} // namespace mlx::launch
