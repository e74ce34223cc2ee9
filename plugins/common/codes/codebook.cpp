#include "codes/codebook.h"

#include <algorithm>

namespace securemark::codes {

Codebook Codebook::AndAcc(const BlockDesign& design) {
  Codebook c;
  c.name_ = "AND-ACC " + design.name + " (" + std::to_string(design.v) + "," +
            std::to_string(design.k) + "," + std::to_string(design.lambda) + ")";
  c.kind_ = Kind::kZeros;
  c.length_ = design.v;
  c.users_ = static_cast<int64_t>(design.blocks.size());
  c.zeros_per_user_ = design.k;
  c.modulation_ = Modulation::kAntipodal;
  c.resilience_ = design.lambda == 1 ? design.k - 1 : 0;
  c.zeros_.reserve(c.users_ * design.k);
  for (const auto& block : design.blocks)
    c.zeros_.insert(c.zeros_.end(), block.begin(), block.end());
  return c;
}

Codebook Codebook::Orthogonal(int64_t users) {
  Codebook c;
  c.name_ = "orthogonal (" + std::to_string(users) + " users)";
  c.kind_ = Kind::kIdentity;
  c.length_ = users;
  c.users_ = users;
  c.modulation_ = Modulation::kOnOff;
  c.resilience_ = users;
  return c;
}

StatusOr<Codebook> Codebook::Product(const Codebook& a, const Codebook& b) {
  if (a.modulation_ != b.modulation_)
    return InvalidArgumentError("cannot join codebooks of different modulations");
  Codebook c;
  c.name_ = a.name_ + " x " + b.name_;
  c.kind_ = Kind::kProduct;
  c.length_ = a.length_ + b.length_;
  c.users_ = a.users_ * b.users_;
  c.modulation_ = a.modulation_;
  c.resilience_ = std::min(a.resilience_, b.resilience_);
  c.parts_ = {a, b};
  return c;
}

StatusOr<Codebook> Codebook::Prefixed(int64_t prefix_length, std::vector<uint8_t> prefix_bits,
                                      const Codebook& identity) {
  if (prefix_length <= 0 ||
      static_cast<int64_t>(prefix_bits.size()) != prefix_length * identity.users_) {
    return InvalidArgumentError("prefix must have " + std::to_string(identity.users_) +
                                " rows of " + std::to_string(prefix_length) + " bits, got " +
                                std::to_string(prefix_bits.size()) + " bits");
  }
  Codebook c;
  c.name_ = std::to_string(prefix_length) + "-bit prefix + " + identity.name_;
  c.kind_ = Kind::kPrefixed;
  c.length_ = prefix_length + identity.length_;
  c.users_ = identity.users_;
  c.modulation_ = identity.modulation_;
  c.resilience_ = identity.resilience_;
  c.parts_ = {
      Dense("prefix", prefix_length, identity.users_, std::move(prefix_bits), identity.modulation_),
      identity};
  return c;
}

Codebook Codebook::Dense(std::string name, int64_t length, int64_t users, std::vector<uint8_t> bits,
                         Modulation modulation) {
  Codebook c;
  c.name_ = std::move(name);
  c.kind_ = Kind::kDense;
  c.length_ = length;
  c.users_ = users;
  c.modulation_ = modulation;
  c.bits_ = std::move(bits);
  return c;
}

uint8_t Codebook::Bit(int64_t position, int64_t user) const {
  switch (kind_) {
    case Kind::kIdentity:
      return position == user;
    case Kind::kDense:
      return bits_[user * length_ + position];
    case Kind::kZeros: {
      auto begin = zeros_.begin() + user * zeros_per_user_;
      return !std::binary_search(begin, begin + zeros_per_user_, static_cast<int32_t>(position));
    }
    case Kind::kProduct: {
      const Codebook& first = parts_[0];
      const int64_t a = user / parts_[1].users_, b = user % parts_[1].users_;
      return position < first.length_ ? first.Bit(position, a)
                                      : parts_[1].Bit(position - first.length_, b);
    }
    case Kind::kPrefixed:
      return position < parts_[0].length_ ? parts_[0].Bit(position, user)
                                          : parts_[1].Bit(position - parts_[0].length_, user);
  }
  return 0;
}

std::vector<int32_t> Codebook::Zeros(int64_t user) const {
  switch (kind_) {
    case Kind::kZeros:
      return std::vector<int32_t>(zeros_.begin() + user * zeros_per_user_,
                                  zeros_.begin() + (user + 1) * zeros_per_user_);
    case Kind::kProduct: {
      std::vector<int32_t> out = parts_[0].Zeros(user / parts_[1].users_);
      for (int32_t z : parts_[1].Zeros(user % parts_[1].users_))
        out.push_back(static_cast<int32_t>(z + parts_[0].length_));
      return out;
    }
    default: {
      std::vector<int32_t> out;
      for (int64_t i = 0; i < length_; ++i) {
        if (!Bit(i, user)) out.push_back(static_cast<int32_t>(i));
      }
      return out;
    }
  }
}

void Codebook::Coefficients(int64_t user, double* out) const {
  const double zero = modulation_ == Modulation::kAntipodal ? -1.0 : 0.0;
  if (kind_ == Kind::kZeros || kind_ == Kind::kProduct) {
    std::fill(out, out + length_, 1.0);
    for (int32_t z : Zeros(user)) out[z] = zero;
    return;
  }
  for (int64_t i = 0; i < length_; ++i) out[i] = Bit(i, user) ? 1.0 : zero;
}

std::string Codebook::Encode() const {
  TensorMap m = extra_;
  m.SetAttr("codebook.name", name_);
  m.SetAttr("codebook.kind", std::to_string(static_cast<int>(kind_)));
  m.SetAttr("codebook.length", std::to_string(length_));
  m.SetAttr("codebook.users", std::to_string(users_));
  m.SetAttr("codebook.zeros_per_user", std::to_string(zeros_per_user_));
  m.SetAttr("codebook.modulation", modulation_ == Modulation::kAntipodal ? "antipodal" : "on-off");
  m.SetAttr("codebook.resilience", std::to_string(resilience_));
  if (kind_ == Kind::kZeros)
    m.Put("codebook.zeros", Tensor::FromVector<int32_t>({users_, zeros_per_user_}, zeros_));
  if (kind_ == Kind::kDense)
    m.Put("codebook.bits", Tensor::FromVector<uint8_t>({users_, length_}, bits_));
  for (size_t i = 0; i < parts_.size(); ++i) {
    const std::string e = parts_[i].Encode();
    m.Put("codebook.part" + std::to_string(i),
          Tensor::FromVector<uint8_t>({static_cast<int64_t>(e.size())},
                                      std::vector<uint8_t>(e.begin(), e.end())));
  }
  return m.Encode();
}

StatusOr<Codebook> Codebook::Decode(std::string_view bytes) {
  SM_ASSIGN_OR_RETURN(TensorMap m, TensorMap::Decode(bytes));
  Codebook c;
  try {
    c.name_ = m.Attr("codebook.name");
    c.kind_ = static_cast<Kind>(std::stoi(m.Attr("codebook.kind")));
    c.length_ = std::stoll(m.Attr("codebook.length"));
    c.users_ = std::stoll(m.Attr("codebook.users"));
    c.zeros_per_user_ = std::stoll(m.Attr("codebook.zeros_per_user"));
    c.resilience_ = std::stoll(m.Attr("codebook.resilience"));
  } catch (const std::exception&) {
    return DataLossError("not a codebook: its header attributes are missing or malformed");
  }
  c.modulation_ =
      m.Attr("codebook.modulation") == "on-off" ? Modulation::kOnOff : Modulation::kAntipodal;
  if (c.length_ <= 0 || c.users_ <= 0)
    return DataLossError("codebook has no positions or no users");
  if (c.kind_ == Kind::kZeros) {
    SM_ASSIGN_OR_RETURN(const Tensor* z, m.Get("codebook.zeros"));
    if (z->dtype() != DType::kInt32 || z->numel() != c.users_ * c.zeros_per_user_) {
      return DataLossError("codebook zero positions do not match users × block size");
    }
    c.zeros_.assign(z->data<int32_t>(), z->data<int32_t>() + z->numel());
    for (int32_t p : c.zeros_) {
      if (p < 0 || p >= c.length_) return DataLossError("codebook zero position out of range");
    }
  } else if (c.kind_ == Kind::kDense) {
    SM_ASSIGN_OR_RETURN(const Tensor* b, m.Get("codebook.bits"));
    if (b->dtype() != DType::kUInt8 || b->numel() != c.users_ * c.length_) {
      return DataLossError("codebook bits do not match users × length");
    }
    c.bits_.assign(b->data<uint8_t>(), b->data<uint8_t>() + b->numel());
  } else if (c.kind_ == Kind::kProduct || c.kind_ == Kind::kPrefixed) {
    for (int i = 0; i < 2; ++i) {
      SM_ASSIGN_OR_RETURN(const Tensor* part, m.Get("codebook.part" + std::to_string(i)));
      SM_ASSIGN_OR_RETURN(Codebook p, Decode(std::string_view(part->raw_data(), part->nbytes())));
      c.parts_.push_back(std::move(p));
    }
    const bool product = c.kind_ == Kind::kProduct;
    const int64_t users = product ? c.parts_[0].users_ * c.parts_[1].users_ : c.parts_[1].users_;
    if (c.parts_[0].length_ + c.parts_[1].length_ != c.length_ || users != c.users_ ||
        (!product && c.parts_[0].users_ != c.users_)) {
      return DataLossError("codebook parts do not add up to its length and users");
    }
  } else if (c.kind_ != Kind::kIdentity) {
    return DataLossError("unknown codebook kind");
  }
  for (const auto& [name, tensor] : m.tensors()) {
    if (name.rfind("codebook.", 0) != 0) c.extra_.Put(name, tensor);
  }
  for (const auto& [key, value] : m.attrs()) {
    if (key.rfind("codebook.", 0) != 0) c.extra_.SetAttr(key, value);
  }
  return c;
}

}  // namespace securemark::codes
