// --hosts lists: host names separated by commas, in SLURM's compressed form
// too, so that `--hosts "$SLURM_JOB_NODELIST"` works: `node[01-04,07]` is
// node01 node02 node03 node04 node07.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlx::launch {

/** Most hosts one list may expand to (the launcher's limit on ranks). */
inline constexpr size_t kMaxListedHosts = 65535;

/** Expands `text`: names separated by commas outside brackets; each
 * bracket holds numbers and ranges `lo-hi` separated by commas, written
 * with the width of `lo` (zero padding kept: `n[08-10]` is n08 n09 n10);
 * several brackets in one name expand in every combination, the last one
 * fastest (`r[1-2]n[1-2]` is r1n1 r1n2 r2n1 r2n2). Throws UsageError naming
 * `text` and the problem: an empty name, unbalanced or nested brackets, a
 * range whose end is below its start, something not a number, or more than
 * kMaxListedHosts hosts. */
std::vector<std::string> expand_node_list(std::string_view text);

} // namespace mlx::launch
