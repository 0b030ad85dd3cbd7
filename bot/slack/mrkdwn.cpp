#include "bot/slack/mrkdwn.hpp"

#include <optional>
#include <stdexcept>

namespace ff::mrkdwn {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t length = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0 && lead >= 0xC2) {
    length = 2;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
  } else if ((lead & 0xF8) == 0xF0 && lead <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";

}  // namespace

namespace {

// Slack sends &, < and > in a person's text already escaped; those entities
// are kept as they are, or "Q&A" would reach the channel as "Q&amp;A".
bool starts_with_entity(std::string_view text) {
  for (std::string_view entity : {"&amp;", "&lt;", "&gt;"}) {
    if (text.substr(0, entity.size()) == entity) return true;
  }
  return false;
}

}  // namespace

std::string escape(std::string_view user_text) {
  std::string out;
  out.reserve(user_text.size() + user_text.size() / 8);
  for (std::size_t i = 0; i < user_text.size(); ++i) {
    const char c = user_text[i];
    switch (c) {
      case '&':
        out += starts_with_entity(user_text.substr(i)) ? "&" : "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// A link Slack made of an address the person typed, shown with its own
// address so no label can disguise where it leads: <https://x|docs> →
// "docs (<https://x>)". nullopt for anything that is not a web or mail link.
std::optional<std::string> kept_link(std::string_view inner) {
  const auto bar = inner.find('|');
  const std::string_view address = inner.substr(0, bar);
  const bool web = address.rfind("https://", 0) == 0 || address.rfind("http://", 0) == 0 ||
                   address.rfind("mailto:", 0) == 0;
  if (!web || address.find_first_of(" \t\n<") != std::string_view::npos) return std::nullopt;
  const std::string link = "<" + std::string(address) + ">";
  if (bar == std::string_view::npos) return link;
  const std::string_view label = inner.substr(bar + 1);
  if (label.empty() || label == address) return link;
  return escape(label) + " (" + link + ")";
}

// <@U123|name> → <@U123>, <#C123|name> → <#C123>; nullopt for anything else.
std::optional<std::string> kept_mention(std::string_view inner) {
  if (const auto link = kept_link(inner)) return link;
  if (inner.size() < 2 || (inner[0] != '@' && inner[0] != '#')) return std::nullopt;
  const std::string_view id = inner.substr(1, inner.find('|') - 1);
  const bool valid = inner[0] == '@' ? is_user_id(id) : is_channel_id(id);
  if (!valid) return std::nullopt;
  return "<" + std::string(1, inner[0]) + std::string(id) + ">";
}

}  // namespace

std::string escape_keeping_mentions(std::string_view user_text) {
  std::string out;
  std::size_t at = 0;
  while (at < user_text.size()) {
    const std::size_t open = user_text.find('<', at);
    const std::size_t close = open == std::string_view::npos ? open : user_text.find('>', open);
    if (close == std::string_view::npos) {
      out += escape(user_text.substr(at));
      break;
    }
    out += escape(user_text.substr(at, open - at));
    const auto kept = kept_mention(user_text.substr(open + 1, close - open - 1));
    out += kept ? *kept : escape(user_text.substr(open, close - open + 1));
    at = close + 1;
  }
  return out;
}

std::size_t find_outside_markup(std::string_view text, char wanted) {
  bool inside = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') {
      inside = true;
    } else if (text[i] == '>') {
      inside = false;
    } else if (!inside && text[i] == wanted) {
      return i;
    }
  }
  return std::string_view::npos;
}

std::size_t char_count(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    i += length == 0 ? 1 : length;
    ++count;
  }
  return count;
}

namespace {

// Up to `keep` code points from the front of `text`, invalid bytes replaced,
// never ending inside an escape entity; `consumed` is how many bytes of
// `text` that took.
std::string take(std::string_view text, std::size_t keep, std::size_t& consumed) {
  std::string out;
  out.reserve(std::min(text.size(), keep * 4));
  std::size_t count = 0;
  std::size_t i = 0;
  std::size_t amp_out = std::string::npos;  // where the last '&' is, in out and in text
  std::size_t amp_in = 0;
  for (; i < text.size() && count < keep; ++count) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (text[i] == '&') {
      amp_out = out.size();
      amp_in = i;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  // Never leave half an entity such as "&am" behind.
  if (i < text.size() && amp_out != std::string::npos &&
      out.find(';', amp_out) == std::string::npos && out.size() - amp_out <= 5) {
    out.erase(amp_out);
    i = amp_in;
  }
  consumed = i;
  return out;
}

}  // namespace

std::string truncate(std::string_view text, std::size_t max_chars) {
  const bool fits = char_count(text) <= max_chars;
  const std::size_t keep = fits ? max_chars : (max_chars == 0 ? 0 : max_chars - 1);
  std::size_t consumed = 0;
  std::string out = take(text, keep, consumed);
  if (consumed < text.size() && max_chars > 0) out += kEllipsis;
  return out;
}

std::vector<std::string> split(std::string_view text, std::size_t max_chars) {
  std::vector<std::string> pieces;
  if (max_chars < 6) max_chars = 6;  // room for a whole entity
  while (!text.empty()) {
    std::size_t consumed = 0;
    pieces.push_back(take(text, max_chars, consumed));
    text.remove_prefix(consumed);
  }
  return pieces;
}

bool has_id_shape(std::string_view id, std::string_view first_letters) {
  if (id.size() < 2 || id.size() > 32) return false;
  if (first_letters.find(id.front()) == std::string_view::npos) return false;
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

bool is_user_id(std::string_view id) {
  return has_id_shape(id, "UWB");
}
bool is_channel_id(std::string_view id) {
  return has_id_shape(id, "CDGU");
}

std::string mention(std::string_view user_id) {
  if (!is_user_id(user_id)) throw std::invalid_argument("not a Slack user id");
  return "<@" + std::string(user_id) + ">";
}

}  // namespace ff::mrkdwn
