#include "blake3_vectors.hpp"

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string_view>
#include <variant>

namespace mosaik::test {
namespace {

// Just enough JSON for the vector file: no floats, booleans or null.
struct Value;
using Object = std::map<std::string, Value, std::less<>>;
using Array = std::vector<Value>;
struct Value {
  std::variant<std::string, std::uint64_t, std::shared_ptr<Object>, std::shared_ptr<Array>> v;
};

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  std::expected<Value, std::string> value() {
    skip_space();
    if (pos_ >= text_.size()) return fail("unexpected end");
    char c = text_[pos_];
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') {
      auto s = string();
      if (!s) return std::unexpected(s.error());
      return Value{*s};
    }
    if (c >= '0' && c <= '9') return number();
    return fail("unexpected character");
  }

  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }

 private:
  std::unexpected<std::string> fail(std::string_view what) const {
    return std::unexpected(std::string(what) + " at offset " + std::to_string(pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::expected<std::string, std::string> string() {
    if (!consume('"')) return fail("expected '\"'");
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (pos_ >= text_.size()) break;
        char e = text_[pos_++];
        if (e != '"' && e != '\\' && e != '/') return fail("unsupported escape");
        c = e;
      }
      out.push_back(c);
    }
    return fail("unterminated string");
  }

  std::expected<Value, std::string> number() {
    std::uint64_t n = 0;
    std::size_t digits = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (++digits > 18) return fail("number too long");
      n = n * 10 + static_cast<std::uint64_t>(text_[pos_++] - '0');
    }
    return Value{n};
  }

  std::expected<Value, std::string> object() {
    consume('{');
    auto obj = std::make_shared<Object>();
    if (consume('}')) return Value{obj};
    do {
      auto key = string();
      if (!key) return std::unexpected(key.error());
      if (!consume(':')) return fail("expected ':'");
      auto v = value();
      if (!v) return v;
      obj->insert_or_assign(std::move(*key), std::move(*v));
    } while (consume(','));
    if (!consume('}')) return fail("expected '}'");
    return Value{obj};
  }

  std::expected<Value, std::string> array() {
    consume('[');
    auto arr = std::make_shared<Array>();
    if (consume(']')) return Value{arr};
    do {
      auto v = value();
      if (!v) return v;
      arr->push_back(std::move(*v));
    } while (consume(','));
    if (!consume(']')) return fail("expected ']'");
    return Value{arr};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

template <class T>
const T* field(const Object& obj, std::string_view name) {
  auto it = obj.find(name);
  if (it == obj.end()) return nullptr;
  return std::get_if<T>(&it->second.v);
}

std::expected<std::vector<std::uint8_t>, std::string> decode_hex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::unexpected("odd-length hex");
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::unexpected("invalid hex digit");
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace

std::vector<std::uint8_t> blake3_vector_input(std::size_t len) {
  std::vector<std::uint8_t> input(len);
  for (std::size_t i = 0; i < len; ++i) input[i] = static_cast<std::uint8_t>(i % 251);
  return input;
}

std::expected<Blake3Vectors, std::string> parse_blake3_vectors(std::string_view json) {
  Reader reader(json);
  auto root = reader.value();
  if (!root) return std::unexpected(root.error());
  if (!reader.at_end()) return std::unexpected("trailing text after the top-level object");
  const auto* top = std::get_if<std::shared_ptr<Object>>(&root->v);
  if (top == nullptr) return std::unexpected("top level is not an object");

  Blake3Vectors out;
  const auto* key = field<std::string>(**top, "key");
  const auto* context = field<std::string>(**top, "context_string");
  const auto* cases = field<std::shared_ptr<Array>>(**top, "cases");
  if (key == nullptr || context == nullptr || cases == nullptr) {
    return std::unexpected("missing key, context_string or cases");
  }
  out.key = *key;
  out.context_string = *context;
  for (const Value& item : **cases) {
    const auto* obj = std::get_if<std::shared_ptr<Object>>(&item.v);
    if (obj == nullptr) return std::unexpected("a case is not an object");
    const auto* len = field<std::uint64_t>(**obj, "input_len");
    if (len == nullptr) return std::unexpected("a case has no input_len");
    Blake3Case c;
    c.input_len = static_cast<std::size_t>(*len);
    for (auto [name, dest] : {std::pair{"hash", &c.hash}, std::pair{"keyed_hash", &c.keyed_hash},
                              std::pair{"derive_key", &c.derive_key}}) {
      const auto* hex = field<std::string>(**obj, name);
      if (hex == nullptr) {
        return std::unexpected("case " + std::to_string(c.input_len) + " has no " + name);
      }
      auto bytes = decode_hex(*hex);
      if (!bytes) return std::unexpected("case " + std::to_string(c.input_len) + ": " + bytes.error());
      *dest = std::move(*bytes);
    }
    out.cases.push_back(std::move(c));
  }
  return out;
}

std::expected<Blake3Vectors, std::string> load_blake3_vectors(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return std::unexpected("cannot open " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return parse_blake3_vectors(text.str());
}

}  // namespace mosaik::test
