// A customer -> community code table in its stored form (domain::CommunityCodes), and back.
#pragma once

#include "domain/domain_values.h"
#include "graph/graph.h"
#include "graph/nph.h"

namespace securemark::graph {

inline domain::CommunityCodes CodesTable(const Graph& g, const NphResult& r) {
  Tensor bits(DType::kUInt8, {g.nodes(), r.bits});
  uint8_t* out = bits.mutable_data<uint8_t>();
  for (int64_t v = 0; v < g.nodes(); ++v) {
    for (int64_t b = 0; b < r.bits; ++b) out[v * r.bits + b] = (r.codes[v] >> b) & 1;
  }
  domain::CommunityCodes table;
  table.Put(std::string(domain::kCodesTensor), std::move(bits));
  std::string names;
  for (const auto& n : g.names()) names += n + '\n';
  table.Put("names", Tensor::FromVector<uint8_t>({static_cast<int64_t>(names.size())},
                                                 std::vector<uint8_t>(names.begin(), names.end())));
  table.SetAttr("bits", std::to_string(r.bits));
  return table;
}

inline StatusOr<NphResult> CodesFromTable(const TensorMap& table) {
  SM_ASSIGN_OR_RETURN(const Tensor* codes, table.Get("codes"));
  if (codes->dtype() != DType::kUInt8 || codes->shape().size() != 2 || codes->dim(1) > 64) {
    return InvalidArgumentError("'codes' must be uint8 [customers, bits <= 64], got " +
                                codes->ShapeString());
  }
  NphResult r;
  r.bits = codes->dim(1);
  r.codes.assign(codes->dim(0), 0);
  for (int64_t v = 0; v < codes->dim(0); ++v) {
    for (int64_t b = 0; b < r.bits; ++b)
      r.codes[v] |= static_cast<uint64_t>(codes->data<uint8_t>()[v * r.bits + b] & 1) << b;
  }
  return r;
}

}  // namespace securemark::graph
