// --hosts with SLURM's compressed node lists (as in SLURM_JOB_NODELIST).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "node_list.h"
#include "options.h"

using namespace mlx::launch;

namespace {

using Names = std::vector<std::string>;

std::string list_error(const std::string& text) {
  try {
    expand_node_list(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string expected_error(const std::string& text, const std::string& why) {
  return "--hosts expects a comma-separated list of host names (SLURM's "
         "node[01-04,07] form too), got '" +
         text + "': " + why;
}

} // namespace

TEST(LaunchNodeListTest, PlainNamesAreKept) {
  EXPECT_EQ(expand_node_list("a"), (Names{"a"}));
  EXPECT_EQ(
      expand_node_list("node1,10.0.0.2,x-y.z"),
      (Names{"node1", "10.0.0.2", "x-y.z"}));
}

TEST(LaunchNodeListTest, RangesExpandWithTheirZeroPadding) {
  EXPECT_EQ(
      expand_node_list("node[01-04,07]"),
      (Names{"node01", "node02", "node03", "node04", "node07"}));
  EXPECT_EQ(expand_node_list("a[1-2],b,c[5]"), (Names{"a1", "a2", "b", "c5"}));
  // The start's width: 08 09 10, and 9 10 without padding.
  EXPECT_EQ(expand_node_list("n[08-10]"), (Names{"n08", "n09", "n10"}));
  EXPECT_EQ(expand_node_list("n[9-10]"), (Names{"n9", "n10"}));
  EXPECT_EQ(expand_node_list("gpu[3]-ib"), (Names{"gpu3-ib"}));
}

TEST(LaunchNodeListTest, SeveralBracketsExpandInEveryCombination) {
  EXPECT_EQ(
      expand_node_list("r[1-2]n[1-2]"),
      (Names{"r1n1", "r1n2", "r2n1", "r2n2"}));
}

TEST(LaunchNodeListTest, ParsedFromTheHostsOption) {
  EXPECT_EQ(
      parse_options({"--hosts", "node[1-3]", "p"}).hosts,
      (Names{"node1", "node2", "node3"}));
}

TEST(LaunchNodeListTest, MalformedListsNameTheTextAndProblem) {
  EXPECT_EQ(
      list_error("node[3-1]"),
      expected_error("node[3-1]", "the range '3-1' ends below its start"));
  EXPECT_EQ(
      list_error("node[1-2"),
      expected_error("node[1-2", "unbalanced brackets"));
  EXPECT_EQ(
      list_error("node1-2]"),
      expected_error("node1-2]", "unbalanced brackets"));
  EXPECT_EQ(list_error("a,,b"), expected_error("a,,b", "an empty host name"));
  EXPECT_EQ(list_error("a,"), expected_error("a,", "an empty host name"));
  EXPECT_EQ(list_error("n[[1]]"), expected_error("n[[1]]", "nested brackets"));
  EXPECT_EQ(
      list_error("n[a-b]"),
      expected_error("n[a-b]", "'a-b' is not a number or range"));
  EXPECT_EQ(
      list_error("n[]"), expected_error("n[]", "'' is not a number or range"));
  EXPECT_EQ(
      list_error("n[1,]"),
      expected_error("n[1,]", "'' is not a number or range"));
  EXPECT_EQ(
      list_error("n[0-99999]"),
      expected_error("n[0-99999]", "more than 65535 hosts"));
  EXPECT_EQ(
      list_error("a[0-999]b[0-999]"),
      expected_error("a[0-999]b[0-999]", "more than 65535 hosts"));
}
