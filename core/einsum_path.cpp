// einsum's front half: parsing the subscripts against the operands' shapes
// and choosing the order of pairwise contractions by FLOP count.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "mlx/einsum.h"
#include "mlx/einsum_impl.h"
#include "mlx/utils.h"

namespace mlx::core {

namespace detail {

namespace {

// Up to this many operands every order of pairwise contractions is tried
// (18 orders for 4 operands, 180 for 5); beyond, the cheapest pair is taken
// at each step.
constexpr size_t kOptimalPathMaxOperands = 4;

constexpr const char* kEllipsis = "...";

// A subscript split around its (optional) ellipsis.
struct Term {
  std::string before, after;
  bool has_ellipsis = false;
};

Term split_term(const std::string& term, const char* op) {
  Term out;
  for (size_t i = 0; i < term.size(); ++i) {
    char c = term[i];
    if (std::isalpha(static_cast<unsigned char>(c))) {
      (out.has_ellipsis ? out.after : out.before) += c;
    } else if (term.compare(i, 3, kEllipsis) == 0) {
      if (out.has_ellipsis) {
        throw_error(
            "[", op, "] Only one ellipsis per subscript, got '", term, "'.");
      }
      out.has_ellipsis = true;
      i += 2;
    } else {
      throw_error(
          "[",
          op,
          "] Subscripts must be letters or '...', got '",
          c,
          "' in '",
          term,
          "'.");
    }
  }
  return out;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == ',') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += (i ? "," : "") + parts[i];
  }
  return out;
}

// The letters of the subscripts, ellipsis dims spelled with unused letters
// (the last E of them, right-aligned as broadcasting aligns dims).
void parse(
    const std::string& subscripts,
    const std::vector<array>& operands,
    const char* op,
    EinsumPlan& plan) {
  auto arrow = subscripts.find("->");
  if (arrow != std::string::npos &&
      subscripts.find("->", arrow + 2) != std::string::npos) {
    throw_error("[", op, "] More than one '->' in '", subscripts, "'.");
  }
  auto lhs = subscripts.substr(0, arrow);
  auto in_terms = split_commas(lhs);
  if (in_terms.size() != operands.size()) {
    throw_error(
        "[",
        op,
        "] '",
        subscripts,
        "' has ",
        in_terms.size(),
        " input subscripts but ",
        operands.size(),
        " operands were given.");
  }
  std::string unused;
  for (char c :
       std::string("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
    if (subscripts.find(c) == std::string::npos) {
      unused += c;
    }
  }
  std::vector<Term> terms;
  int max_ellipsis = 0;
  for (size_t i = 0; i < operands.size(); ++i) {
    terms.push_back(split_term(in_terms[i], op));
    auto& t = terms.back();
    int letters = static_cast<int>(t.before.size() + t.after.size());
    int ndim = static_cast<int>(operands[i].ndim());
    if (t.has_ellipsis ? letters > ndim : letters != ndim) {
      throw_error(
          "[",
          op,
          "] Subscript '",
          in_terms[i],
          "' of operand ",
          i,
          " does not match its shape ",
          operands[i].shape(),
          ".");
    }
    if (t.has_ellipsis) {
      max_ellipsis = std::max(max_ellipsis, ndim - letters);
    }
  }
  if (max_ellipsis > static_cast<int>(unused.size())) {
    throw_error(
        "[", op, "] Too many dims under the ellipsis in '", subscripts, "'.");
  }
  auto ellipsis_letters = [&](int length) {
    return unused.substr(max_ellipsis - length, length);
  };
  for (size_t i = 0; i < operands.size(); ++i) {
    auto& t = terms[i];
    int length =
        static_cast<int>(operands[i].ndim() - t.before.size() - t.after.size());
    plan.inputs.push_back(
        t.before + (t.has_ellipsis ? ellipsis_letters(length) : "") + t.after);
  }

  std::string all_inputs = join(plan.inputs);
  if (arrow == std::string::npos) {
    // NumPy's implicit output: ellipsis dims, then the indices used once.
    std::string once;
    for (char c : all_inputs) {
      if (c != ',' &&
          std::count(all_inputs.begin(), all_inputs.end(), c) == 1 &&
          unused.find(c) == std::string::npos) {
        once += c;
      }
    }
    std::sort(once.begin(), once.end());
    plan.output = ellipsis_letters(max_ellipsis) + once;
  } else {
    auto t = split_term(subscripts.substr(arrow + 2), op);
    plan.output = t.before +
                  (t.has_ellipsis ? ellipsis_letters(max_ellipsis) : "") +
                  t.after;
    for (char c : plan.output) {
      if (std::count(plan.output.begin(), plan.output.end(), c) > 1) {
        throw_error(
            "[",
            op,
            "] Index '",
            c,
            "' repeats in the output of '",
            subscripts,
            "'.");
      }
      if (all_inputs.find(c) == std::string::npos) {
        throw_error(
            "[",
            op,
            "] Output index '",
            c,
            "' of '",
            subscripts,
            "' is not in any input.");
      }
    }
  }

  // Sizes: equal within an operand (diagonals), broadcast (1 or equal)
  // across operands.
  for (size_t i = 0; i < operands.size(); ++i) {
    std::map<char, int> local;
    for (size_t d = 0; d < plan.inputs[i].size(); ++d) {
      char c = plan.inputs[i][d];
      int size = operands[i].shape(static_cast<int>(d));
      auto [it, fresh] = local.emplace(c, size);
      if (!fresh && it->second != size) {
        throw_error(
            "[",
            op,
            "] Repeated index '",
            c,
            "' of operand ",
            i,
            " (shape ",
            operands[i].shape(),
            ") has sizes ",
            it->second,
            " and ",
            size,
            "; a diagonal needs equal sizes.");
      }
      auto [global, first] = plan.sizes.emplace(c, size);
      if (!first && global->second != size) {
        if (global->second != 1 && size != 1) {
          throw_error(
              "[",
              op,
              "] Index '",
              c,
              "' has size ",
              size,
              " in operand ",
              i,
              " (shape ",
              operands[i].shape(),
              ") but size ",
              global->second,
              " elsewhere.");
        }
        global->second = std::max(global->second, size);
      }
    }
  }
}

// Distinct letters of the given terms, in order of appearance.
std::string distinct(const std::vector<std::string>& terms) {
  std::string out;
  for (auto& t : terms) {
    for (char c : t) {
      if (out.find(c) == std::string::npos) {
        out += c;
      }
    }
  }
  return out;
}

double elements(const std::string& letters, const std::map<char, int>& sizes) {
  double n = 1;
  for (char c : letters) {
    n *= sizes.at(c);
  }
  return n;
}

// NumPy's FLOP count: each element of the index space costs a multiply per
// extra operand, plus an add when an index is summed.
double flops(
    const std::string& letters,
    bool summed,
    size_t num_terms,
    const std::map<char, int>& sizes) {
  double per_element = std::max<double>(1, static_cast<double>(num_terms) - 1) +
                       (summed ? 1 : 0);
  return elements(letters, sizes) * per_element;
}

struct Contraction {
  std::vector<std::string> terms; // the operand list after the step
  EinsumStep step;
  double result_size;
};

// Contracts `positions` of `terms`: the result keeps the indices needed by
// the output or another operand, and goes to the end of the list.
Contraction contract(
    const std::vector<std::string>& terms,
    const std::vector<int>& positions,
    const std::string& output,
    const std::map<char, int>& sizes) {
  std::vector<std::string> chosen, rest;
  for (size_t i = 0; i < terms.size(); ++i) {
    bool picked =
        std::find(positions.begin(), positions.end(), i) != positions.end();
    (picked ? chosen : rest).push_back(terms[i]);
  }
  std::string needed = output + distinct(rest);
  std::string all = distinct(chosen), kept;
  for (char c : all) {
    if (needed.find(c) != std::string::npos) {
      kept += c;
    }
  }
  if (rest.empty()) {
    kept = output; // the last step yields the output itself
  }
  Contraction out;
  out.step.positions = positions;
  out.step.inputs = join(chosen) + "->" + kept;
  out.step.scaling = static_cast<int>(all.size());
  out.step.cost = flops(all, kept.size() < all.size(), chosen.size(), sizes);
  out.result_size = elements(kept, sizes);
  out.terms = rest;
  out.terms.push_back(kept);
  out.step.remaining = join(out.terms) + "->" + output;
  return out;
}

struct Path {
  std::vector<Contraction> steps;
  double cost = 0;
};

// Every order of pairwise contractions, cut off once dearer than the best.
void search_optimal(
    const std::vector<std::string>& terms,
    const std::string& output,
    const std::map<char, int>& sizes,
    Path& current,
    Path& best) {
  if (terms.size() == 1) {
    if (best.steps.empty() || current.cost < best.cost) {
      best = current;
    }
    return;
  }
  for (int i = 0; i < static_cast<int>(terms.size()); ++i) {
    for (int j = i + 1; j < static_cast<int>(terms.size()); ++j) {
      auto c = contract(terms, {i, j}, output, sizes);
      if (!best.steps.empty() && current.cost + c.step.cost >= best.cost) {
        continue;
      }
      current.steps.push_back(c);
      current.cost += c.step.cost;
      search_optimal(c.terms, output, sizes, current, best);
      current.cost -= c.step.cost;
      current.steps.pop_back();
    }
  }
}

// NumPy's greedy rule: at each step, of the pairs that share an index (any
// pair if none do), the one whose result shrinks memory most, then the
// cheapest.
Path greedy(
    std::vector<std::string> terms,
    const std::string& output,
    const std::map<char, int>& sizes) {
  Path path;
  while (terms.size() > 1) {
    std::optional<Contraction> best;
    std::tuple<bool, double, double> best_key;
    for (int i = 0; i < static_cast<int>(terms.size()); ++i) {
      for (int j = i + 1; j < static_cast<int>(terms.size()); ++j) {
        auto c = contract(terms, {i, j}, output, sizes);
        bool disjoint = terms[i].find_first_of(terms[j]) == std::string::npos;
        double growth = c.result_size - elements(terms[i], sizes) -
                        elements(terms[j], sizes);
        auto key = std::make_tuple(disjoint, growth, c.step.cost);
        if (!best || key < best_key) {
          best = c;
          best_key = key;
        }
      }
    }
    terms = best->terms;
    path.cost += best->step.cost;
    path.steps.push_back(*best);
  }
  return path;
}

} // namespace

EinsumPlan plan_einsum(
    const std::string& subscripts,
    const std::vector<array>& operands,
    const char* op) {
  if (operands.empty()) {
    throw_error("[", op, "] At least one operand is required.");
  }
  EinsumPlan plan;
  parse(subscripts, operands, op, plan);
  std::string all = distinct(plan.inputs);
  plan.naive_scaling = static_cast<int>(all.size());
  plan.naive_cost = flops(
      all, plan.output.size() < all.size(), plan.inputs.size(), plan.sizes);

  Path path;
  size_t n = plan.inputs.size();
  if (n <= 2) {
    std::vector<int> everything(n);
    std::iota(everything.begin(), everything.end(), 0);
    path.steps.push_back(
        contract(plan.inputs, everything, plan.output, plan.sizes));
  } else if (n <= kOptimalPathMaxOperands) {
    Path current;
    search_optimal(plan.inputs, plan.output, plan.sizes, current, path);
  } else {
    path = greedy(plan.inputs, plan.output, plan.sizes);
  }
  plan.optimized_cost = 0;
  plan.optimized_scaling = 0;
  plan.largest_intermediate = 0;
  for (auto& c : path.steps) {
    plan.optimized_cost += c.step.cost;
    plan.optimized_scaling = std::max(plan.optimized_scaling, c.step.scaling);
    plan.largest_intermediate =
        std::max(plan.largest_intermediate, c.result_size);
    plan.steps.push_back(c.step);
  }
  return plan;
}

} // namespace detail

namespace {

std::string scientific(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3e", x);
  return buf;
}

// Right-aligns `text` in `width` columns, as NumPy's report does.
std::string right(const std::string& text, size_t width) {
  return std::string(text.size() < width ? width - text.size() : 0, ' ') + text;
}

} // namespace

std::pair<std::vector<std::vector<int>>, std::string>
einsum_path(const std::string& subscripts, const std::vector<array>& operands) {
  auto plan = detail::plan_einsum(subscripts, operands, "einsum_path");
  std::vector<std::vector<int>> path;
  for (auto& step : plan.steps) {
    path.push_back(step.positions);
  }
  char speedup[32];
  std::snprintf(
      speedup, sizeof(speedup), "%.3f", plan.naive_cost / plan.optimized_cost);
  std::string rule(74, '-');
  std::ostringstream report;
  report << "  Complete contraction:  " << subscripts << "\n"
         << "         Naive scaling:  " << plan.naive_scaling << "\n"
         << "     Optimized scaling:  " << plan.optimized_scaling << "\n"
         << "      Naive FLOP count:  " << scientific(plan.naive_cost) << "\n"
         << "  Optimized FLOP count:  " << scientific(plan.optimized_cost)
         << "\n"
         << "   Theoretical speedup:  " << speedup << "\n"
         << "  Largest intermediate:  " << scientific(plan.largest_intermediate)
         << " elements\n"
         << rule << "\n"
         << "scaling                  current                                "
            "remaining\n"
         << rule << "\n";
  for (auto& step : plan.steps) {
    report << right(std::to_string(step.scaling), 4) << "   "
           << right(step.inputs, 24) << "   " << right(step.remaining, 40)
           << "\n";
  }
  return {path, report.str()};
}

} // namespace mlx::core
