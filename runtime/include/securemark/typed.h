// Domain values: a standard encoding (TensorMap or JsonDocument) under a type name of its
// own. `validate` then refuses, say, a coalition wired into a calibration input, and the
// schema check that producer and consumer agree on lives in one place.
//
//   struct CoalitionSchema {
//     using Base = JsonDocument;
//     static constexpr std::string_view kTypeName = "Json/Coalition";
//     static Status Check(const JsonDocument& doc);  // run on every decode
//   };
//   using Coalition = Typed<CoalitionSchema>;
//
// A type named "Base/Name" is encoded as Base. An input declared with the base type takes
// every value so encoded (a report step accepts any Json); an input declared with the
// domain type takes only that type.
#pragma once

#include <string_view>
#include <utility>

#include "securemark/status.h"
#include "securemark/values.h"

namespace securemark {

// Whether an output of type `output_type` may feed an input of type `input_type`.
bool PortTypeAccepts(std::string_view input_type, std::string_view output_type);

// Whether a value already stored with type `stored_type` may be read by an input of type
// `input_type`: as PortTypeAccepts, and also values stored before domain types existed,
// which carry the base encoding ("Tensors" for a projection key). Decoding then checks
// the schema, so a wrong value is still refused, by what it lacks.
bool StoredTypeAccepted(std::string_view input_type, std::string_view stored_type);

// The standard encoding behind a type name: "Json" for "Json/Coalition" and for "Json".
std::string_view BaseTypeOf(std::string_view type);

template <typename Schema>
class Typed : public Schema::Base {
 public:
  using Base = typename Schema::Base;
  static constexpr std::string_view kTypeName = Schema::kTypeName;

  Typed() = default;
  explicit Typed(Base value) : Base(std::move(value)) {}

  // Checks the schema: a value that decodes as Base but lacks what the type promises is
  // refused here, naming what is missing, instead of deep inside the consumer.
  static StatusOr<Typed> Decode(std::string_view bytes) {
    StatusOr<Base> value = Base::Decode(bytes);
    if (!value.ok()) return value.status();
    Status checked = Schema::Check(*value);
    if (!checked.ok())
      return checked.WithContext("not a valid " + std::string(TypeName()) + " value");
    return Typed(std::move(*value));
  }
  // The domain part of the name, for messages: "Coalition".
  static constexpr std::string_view TypeName() {
    const size_t slash = kTypeName.find('/');
    return slash == std::string_view::npos ? kTypeName : kTypeName.substr(slash + 1);
  }
};

}  // namespace securemark
