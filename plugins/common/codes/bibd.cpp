#include "codes/bibd.h"

#include <algorithm>
#include <map>

#include "codes/galois_field.h"

namespace securemark::codes {
namespace {

using Vec = std::vector<int64_t>;

// Normalised projective coordinates: the first non-zero coordinate is 1.
Vec Normalize(const GaloisField& f, Vec x) {
  for (int64_t c : x) {
    if (c == 0) continue;
    const int64_t inv = f.Inv(c);
    for (auto& e : x) e = f.Mul(e, inv);
    break;
  }
  return x;
}

// All normalised non-zero vectors of GF(q)^n, with an index lookup.
struct ProjectivePoints {
  std::vector<Vec> points;
  std::map<Vec, int32_t> index;
};

ProjectivePoints EnumerateProjective(const GaloisField& f, int n) {
  ProjectivePoints out;
  const int64_t q = f.order();
  Vec x(n, 0);
  int64_t total = 1;
  for (int i = 0; i < n; ++i) total *= q;
  for (int64_t code = 1; code < total; ++code) {
    int64_t c = code;
    for (int i = n - 1; i >= 0; --i) {
      x[i] = c % q;
      c /= q;
    }
    if (Normalize(f, x) != x) continue;
    out.index[x] = static_cast<int32_t>(out.points.size());
    out.points.push_back(x);
  }
  return out;
}

void SortBlocks(BlockDesign& d) {
  for (auto& b : d.blocks) std::sort(b.begin(), b.end());
}

StatusOr<GaloisField> Field(int64_t q) { return GaloisField::Create(q); }

}  // namespace

Status BlockDesign::Verify() const {
  if (v < 2 || k < 2 || k > v) return InvalidArgumentError(name + ": bad parameters");
  std::vector<std::vector<int32_t>> blocks_of(v);
  for (size_t b = 0; b < blocks.size(); ++b) {
    if (static_cast<int64_t>(blocks[b].size()) != k) {
      return InternalError(name + ": block " + std::to_string(b) + " has " +
                           std::to_string(blocks[b].size()) + " points, expected " +
                           std::to_string(k));
    }
    for (size_t i = 0; i < blocks[b].size(); ++i) {
      if (blocks[b][i] < 0 || blocks[b][i] >= v || (i > 0 && blocks[b][i] <= blocks[b][i - 1])) {
        return InternalError(name + ": block " + std::to_string(b) +
                             " has repeated or out-of-range points");
      }
      blocks_of[blocks[b][i]].push_back(static_cast<int32_t>(b));
    }
  }
  std::vector<int64_t> together(v, 0);
  for (int64_t p = 0; p < v; ++p) {
    std::fill(together.begin(), together.end(), 0);
    for (int32_t b : blocks_of[p]) {
      for (int32_t other : blocks[b]) together[other] += 1;
    }
    for (int64_t o = 0; o < v; ++o) {
      if (o != p && together[o] != lambda) {
        return InternalError(name + ": points " + std::to_string(p) + " and " + std::to_string(o) +
                             " share " + std::to_string(together[o]) + " blocks, expected " +
                             std::to_string(lambda));
      }
    }
  }
  return OkStatus();
}

StatusOr<BlockDesign> ProjectivePlane(int64_t q) {
  SM_ASSIGN_OR_RETURN(GaloisField f, Field(q));
  ProjectivePoints pts = EnumerateProjective(f, 3);
  BlockDesign d{
      "PG(2," + std::to_string(q) + ")", static_cast<int64_t>(pts.points.size()), q + 1, 1, {}};
  for (const Vec& line : pts.points) {  // lines are points of the dual plane
    std::vector<int32_t> block;
    for (size_t i = 0; i < pts.points.size(); ++i) {
      const Vec& x = pts.points[i];
      int64_t dot = f.Add(f.Add(f.Mul(line[0], x[0]), f.Mul(line[1], x[1])), f.Mul(line[2], x[2]));
      if (dot == 0) block.push_back(static_cast<int32_t>(i));
    }
    d.blocks.push_back(std::move(block));
  }
  return d;
}

StatusOr<BlockDesign> AffinePlane(int64_t q) {
  SM_ASSIGN_OR_RETURN(GaloisField f, Field(q));
  BlockDesign d{"AG(2," + std::to_string(q) + ")", q * q, q, 1, {}};
  for (int64_t m = 0; m < q; ++m) {
    for (int64_t b = 0; b < q; ++b) {
      std::vector<int32_t> block;
      for (int64_t x = 0; x < q; ++x)
        block.push_back(static_cast<int32_t>(x * q + f.Add(f.Mul(m, x), b)));
      d.blocks.push_back(std::move(block));
    }
  }
  for (int64_t c = 0; c < q; ++c) {
    std::vector<int32_t> block;
    for (int64_t y = 0; y < q; ++y) block.push_back(static_cast<int32_t>(c * q + y));
    d.blocks.push_back(std::move(block));
  }
  SortBlocks(d);
  return d;
}

StatusOr<BlockDesign> SingerDifferenceSet(int64_t q) {
  int64_t p = 0, m = 0;
  if (!IsPrimePower(q, &p, &m) || q * q * q > (1 << 20)) {
    return InvalidArgumentError("Singer(q) needs a prime power q with q³ <= 2^20, got " +
                                std::to_string(q));
  }
  // PG(2,q) as GF(q³)*/GF(q)*, i.e. Z_v: the points where the trace to GF(q) vanishes
  // form a line, and its translates are all the lines.
  SM_ASSIGN_OR_RETURN(GaloisField big, Field(q * q * q));
  const int64_t v = q * q + q + 1;
  std::vector<int32_t> base;
  for (int64_t i = 0; i < v; ++i) {
    const int64_t x = big.Exp(i);
    const int64_t trace = big.Add(big.Add(x, big.Pow(x, q)), big.Pow(x, q * q));
    if (trace == 0) base.push_back(static_cast<int32_t>(i));
  }
  BlockDesign d{
      "Singer(" + std::to_string(v) + "," + std::to_string(q + 1) + ",1)", v, q + 1, 1, {}};
  for (int64_t shift = 0; shift < v; ++shift) {
    std::vector<int32_t> block;
    for (int32_t b : base) block.push_back(static_cast<int32_t>((b + shift) % v));
    d.blocks.push_back(std::move(block));
  }
  SortBlocks(d);
  return d;
}

StatusOr<BlockDesign> AffineSpaceLines(int64_t q) {
  SM_ASSIGN_OR_RETURN(GaloisField f, Field(q));
  if (q > 64)
    return InvalidArgumentError("AG(3,q) lines: q = " + std::to_string(q) +
                                " is too large (at most 64)");
  ProjectivePoints directions = EnumerateProjective(f, 3);
  BlockDesign d{"AG(3," + std::to_string(q) + ") lines", q * q * q, q, 1, {}};
  d.blocks.reserve(directions.points.size() * q * q);
  for (const Vec& dir : directions.points) {
    // Each line in direction dir meets the plane {x_c = 0} once, c the leading coordinate.
    const int c = dir[0] != 0 ? 0 : dir[1] != 0 ? 1 : 2;
    for (int64_t a = 0; a < q; ++a) {
      for (int64_t b = 0; b < q; ++b) {
        Vec base(3, 0);
        int slot = 0;
        for (int i = 0; i < 3; ++i) {
          if (i == c) continue;
          base[i] = slot++ == 0 ? a : b;
        }
        std::vector<int32_t> block;
        for (int64_t t = 0; t < q; ++t) {
          int64_t index = 0;
          for (int i = 0; i < 3; ++i) index = index * q + f.Add(base[i], f.Mul(t, dir[i]));
          block.push_back(static_cast<int32_t>(index));
        }
        d.blocks.push_back(std::move(block));
      }
    }
  }
  SortBlocks(d);
  return d;
}

StatusOr<BlockDesign> ProjectiveSpaceLines(int64_t q) {
  SM_ASSIGN_OR_RETURN(GaloisField f, Field(q));
  if (q > 64)
    return InvalidArgumentError("PG(3,q) lines: q = " + std::to_string(q) +
                                " is too large (at most 64)");
  ProjectivePoints pts = EnumerateProjective(f, 4);
  BlockDesign d{"PG(3," + std::to_string(q) + ") lines",
                static_cast<int64_t>(pts.points.size()),
                q + 1,
                1,
                {}};
  // Each line is the row space of exactly one 2x4 matrix in reduced row echelon form.
  for (int c1 = 0; c1 < 4; ++c1) {
    for (int c2 = c1 + 1; c2 < 4; ++c2) {
      std::vector<int> free1, free2;  // free entries of each row
      for (int j = c1 + 1; j < 4; ++j)
        if (j != c2) free1.push_back(j);
      for (int j = c2 + 1; j < 4; ++j) free2.push_back(j);
      const int nfree = static_cast<int>(free1.size() + free2.size());
      int64_t combos = 1;
      for (int i = 0; i < nfree; ++i) combos *= q;
      for (int64_t code = 0; code < combos; ++code) {
        Vec r1(4, 0), r2(4, 0);
        r1[c1] = 1;
        r2[c2] = 1;
        int64_t c = code;
        for (int j : free1) {
          r1[j] = c % q;
          c /= q;
        }
        for (int j : free2) {
          r2[j] = c % q;
          c /= q;
        }
        std::vector<int32_t> block;
        block.push_back(pts.index.at(r2));
        for (int64_t t = 0; t < q; ++t) {
          Vec x(4);
          for (int i = 0; i < 4; ++i) x[i] = f.Add(r1[i], f.Mul(t, r2[i]));
          block.push_back(pts.index.at(Normalize(f, x)));
        }
        d.blocks.push_back(std::move(block));
      }
    }
  }
  SortBlocks(d);
  return d;
}

StatusOr<BlockDesign> SteinerTripleSystem(int64_t v) {
  if (v < 7 || (v % 6 != 1 && v % 6 != 3) || v > 100000) {
    return InvalidArgumentError(
        "a Steiner triple system needs v ≡ 1 or 3 (mod 6), 7 <= v <= 100000; got " +
        std::to_string(v));
  }
  BlockDesign d{"STS(" + std::to_string(v) + ")", v, 3, 1, {}};
  auto add = [&](int64_t a, int64_t b, int64_t c) {
    d.blocks.push_back({static_cast<int32_t>(a), static_cast<int32_t>(b), static_cast<int32_t>(c)});
  };
  if (v % 6 == 3) {
    // Bose: an idempotent commutative quasigroup on Z_{2n+1}, x∘y = (n+1)(x+y).
    const int64_t m = v / 3, n = (m - 1) / 2;
    auto pt = [&](int64_t x, int64_t i) { return x + i * m; };
    for (int64_t x = 0; x < m; ++x) add(pt(x, 0), pt(x, 1), pt(x, 2));
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t x = 0; x < m; ++x) {
        for (int64_t y = x + 1; y < m; ++y)
          add(pt(x, i), pt(y, i), pt(((n + 1) * (x + y)) % m, (i + 1) % 3));
      }
    }
  } else {
    // Skolem: a half-idempotent commutative quasigroup on Z_{2n} plus a point at infinity.
    const int64_t m = (v - 1) / 3, n = m / 2, infinity = v - 1;
    auto pt = [&](int64_t x, int64_t i) { return x + i * m; };
    auto op = [&](int64_t x, int64_t y) {
      const int64_t z = (x + y) % m;
      return z % 2 == 0 ? z / 2 : (z + m - 1) / 2;
    };
    for (int64_t x = 0; x < n; ++x) add(pt(x, 0), pt(x, 1), pt(x, 2));
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t x = 0; x < n; ++x) add(infinity, pt(n + x, i), pt(x, (i + 1) % 3));
      for (int64_t x = 0; x < m; ++x) {
        for (int64_t y = x + 1; y < m; ++y) add(pt(x, i), pt(y, i), pt(op(x, y), (i + 1) % 3));
      }
    }
  }
  SortBlocks(d);
  return d;
}

StatusOr<BlockDesign> MakeDesign(const std::string& kind, int64_t parameter) {
  if (kind == "pg2") return ProjectivePlane(parameter);
  if (kind == "ag2") return AffinePlane(parameter);
  if (kind == "singer") return SingerDifferenceSet(parameter);
  if (kind == "ag3") return AffineSpaceLines(parameter);
  if (kind == "pg3") return ProjectiveSpaceLines(parameter);
  if (kind == "sts") return SteinerTripleSystem(parameter);
  return InvalidArgumentError("unknown design '" + kind +
                              "'; expected pg2, ag2, singer, ag3, pg3 or sts");
}

}  // namespace securemark::codes
