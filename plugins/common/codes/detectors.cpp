#include "codes/detectors.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace securemark::codes {
namespace {

constexpr double kFloor = 1e-12;

std::vector<double> Normalized(const std::vector<double>& y, double level) {
  std::vector<double> x(y.size());
  for (size_t i = 0; i < y.size(); ++i) x[i] = y[i] / level;
  return x;
}

// For each user, whether all its zero positions are flagged. Product codebooks are
// decoded per part and combined, which is exactly what joint decoding gives for them; a
// prefix (community code) is not part of the identity and is skipped.
std::vector<uint8_t> CoveredUsers(const Codebook& c, const std::vector<uint8_t>& flagged,
                                  int64_t offset = 0) {
  std::vector<uint8_t> covered(c.users(), 0);
  if (c.is_product()) {
    const Codebook& a = c.parts()[0];
    const Codebook& b = c.parts()[1];
    std::vector<uint8_t> ca = CoveredUsers(a, flagged, offset);
    std::vector<uint8_t> cb = CoveredUsers(b, flagged, offset + a.length());
    for (int64_t i = 0; i < a.users(); ++i) {
      if (!ca[i]) continue;
      for (int64_t j = 0; j < b.users(); ++j) covered[i * b.users() + j] = cb[j];
    }
    return covered;
  }
  if (c.is_prefixed()) return CoveredUsers(c.parts()[1], flagged, offset + c.parts()[0].length());
  const int64_t k = c.zeros_per_user();
  for (int64_t u = 0; u < c.users(); ++u) {
    bool all = true;
    if (const int32_t* z = c.ZerosData(u)) {
      for (int64_t t = 0; t < k && all; ++t) all = flagged[offset + z[t]];
    } else {
      for (int32_t p : c.Zeros(u)) all = all && flagged[offset + p];
    }
    covered[u] = all;
  }
  return covered;
}

// Least-squares misfit of "x is the average of these users' coefficient vectors".
double Misfit(const Codebook& c, const std::vector<double>& x, const std::vector<int64_t>& users) {
  if (users.empty()) return std::inner_product(x.begin(), x.end(), x.begin(), 0.0);
  std::vector<double> mean(c.length(), 0.0), b(c.length());
  for (int64_t u : users) {
    c.Coefficients(u, b.data());
    for (int64_t i = 0; i < c.length(); ++i) mean[i] += b[i];
  }
  double rss = 0;
  for (int64_t i = 0; i < c.length(); ++i) {
    const double d = x[i] - mean[i] / static_cast<double>(users.size());
    rss += d * d;
  }
  return rss;
}

int64_t DefaultMaxColluders(const Codebook& c, int64_t given) {
  if (given > 0) return given;
  return std::max<int64_t>(2 * c.resilience() + 2, 8);
}

}  // namespace

std::vector<int64_t> Detection::Users() const {
  std::vector<int64_t> out;
  for (const auto& a : accused) out.push_back(a.user);
  return out;
}

double SignalLevel(const Codebook& codebook, const std::vector<double>& y) {
  if (y.empty()) return kFloor;
  if (codebook.modulation() == Modulation::kOnOff) {
    return std::max(*std::max_element(y.begin(), y.end()), kFloor);
  }
  std::vector<double> sorted(y);
  const size_t top = std::max<size_t>(1, sorted.size() / 4);
  std::nth_element(sorted.begin(), sorted.begin() + (sorted.size() - top), sorted.end());
  std::vector<double> upper(sorted.end() - top, sorted.end());
  std::nth_element(upper.begin(), upper.begin() + upper.size() / 2, upper.end());
  return std::max(upper[upper.size() / 2], kFloor);
}

Detection HardThreshold(const Codebook& codebook, const std::vector<double>& y, double tau) {
  Detection d{"hard_threshold", SignalLevel(codebook, y), {}};
  const std::vector<double> x = Normalized(y, d.signal_level);
  if (codebook.modulation() == Modulation::kOnOff) {
    // The noise floor: a robust spread of all values (nearly all are innocents' zeros).
    std::vector<double> abs(x.size());
    for (size_t i = 0; i < x.size(); ++i) abs[i] = std::fabs(x[i]);
    std::nth_element(abs.begin(), abs.begin() + abs.size() / 2, abs.end());
    const double floor = 6 * 1.4826 * abs[abs.size() / 2];
    // Averaged colluders share the top value; innocents sit at the noise floor.
    const double bar = std::max(0.5, floor);
    for (int64_t u = 0; u < codebook.users(); ++u) {
      if (x[u] > bar) d.accused.push_back({u, x[u]});
    }
    return d;
  }
  std::vector<uint8_t> flagged(x.size());
  for (size_t i = 0; i < x.size(); ++i) flagged[i] = x[i] <= tau;
  std::vector<uint8_t> covered = CoveredUsers(codebook, flagged);
  for (int64_t u = 0; u < codebook.users(); ++u) {
    if (!covered[u]) continue;
    double worst = -1e300;
    for (int32_t p : codebook.Zeros(u)) worst = std::max(worst, x[p]);
    d.accused.push_back({u, 1.0 - worst});
  }
  return d;
}

Detection AdaptiveSorting(const Codebook& codebook, const std::vector<double>& y,
                          int64_t max_colluders) {
  Detection d{"adaptive_sorting", SignalLevel(codebook, y), {}};
  const std::vector<double> x = Normalized(y, d.signal_level);
  const int64_t limit = DefaultMaxColluders(codebook, max_colluders);
  std::vector<int64_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return x[a] < x[b]; });
  std::vector<uint8_t> flagged(x.size(), 0);
  std::vector<int64_t> best, previous;
  double best_fit = Misfit(codebook, x, {});
  for (size_t l = 0; l < order.size(); ++l) {
    flagged[order[l]] = 1;
    // Only a gap in the sorted values can separate the union of blocks from the rest.
    if (l + 1 < order.size() && x[order[l + 1]] - x[order[l]] < 1e-9) continue;
    std::vector<uint8_t> covered = CoveredUsers(codebook, flagged);
    std::vector<int64_t> suspects;
    for (int64_t u = 0; u < codebook.users() && static_cast<int64_t>(suspects.size()) <= limit;
         ++u) {
      if (covered[u]) suspects.push_back(u);
    }
    if (static_cast<int64_t>(suspects.size()) > limit) break;
    if (suspects.empty() || suspects == previous) continue;
    previous = suspects;
    const double fit = Misfit(codebook, x, suspects);
    if (fit < best_fit - 1e-9) {
      best_fit = fit;
      best = suspects;
    }
  }
  for (int64_t u : best) d.accused.push_back({u, 1.0});
  return d;
}

Detection Sequential(const Codebook& codebook, const std::vector<double>& y,
                     int64_t max_colluders) {
  Detection d{"sequential", SignalLevel(codebook, y), {}};
  const std::vector<double> x = Normalized(y, d.signal_level);
  const int64_t limit = DefaultMaxColluders(codebook, max_colluders);
  const int64_t v = codebook.length();
  std::vector<double> sum(v, 0.0), b(v);  // sum of the chosen users' coefficients
  std::vector<int64_t> chosen;
  std::vector<uint8_t> taken(codebook.users(), 0);
  double current = std::inner_product(x.begin(), x.end(), x.begin(), 0.0);
  const bool sparse = codebook.modulation() == Modulation::kAntipodal;
  while (static_cast<int64_t>(chosen.size()) < limit) {
    const double n = static_cast<double>(chosen.size() + 1);
    // Misfit when every position of the new user is +1; users differ only at their zeros.
    std::vector<double> base_term(v);
    double base = 0;
    for (int64_t i = 0; i < v; ++i) {
      const double r = x[i] - (sum[i] + 1.0) / n;
      base_term[i] = r * r;
      base += base_term[i];
    }
    int64_t best_user = -1;
    // The first user is always the best single explanation; later ones must improve it.
    double best = chosen.empty() ? std::numeric_limits<double>::infinity() : current;
    for (int64_t u = 0; u < codebook.users(); ++u) {
      if (taken[u]) continue;
      double fit = 0;
      if (sparse) {
        fit = base;
        for (int32_t p : codebook.Zeros(u)) {
          const double r = x[p] - (sum[p] - 1.0) / n;
          fit += r * r - base_term[p];
        }
      } else {
        codebook.Coefficients(u, b.data());
        for (int64_t i = 0; i < v; ++i) {
          const double r = x[i] - (sum[i] + b[i]) / n;
          fit += r * r;
        }
      }
      if (fit < best - (chosen.empty() ? 0.0 : 1e-9 * std::max(1.0, current))) {
        best = fit;
        best_user = u;
      }
    }
    if (best_user < 0) break;
    codebook.Coefficients(best_user, b.data());
    for (int64_t i = 0; i < v; ++i) sum[i] += b[i];
    taken[best_user] = 1;
    chosen.push_back(best_user);
    d.accused.push_back(
        {best_user, chosen.size() == 1 ? 1.0 : (current - best) / std::max(current, 1e-12)});
    current = best;
  }
  std::sort(d.accused.begin(), d.accused.end(),
            [](const Accusation& a, const Accusation& b) { return a.user < b.user; });
  return d;
}

}  // namespace securemark::codes
