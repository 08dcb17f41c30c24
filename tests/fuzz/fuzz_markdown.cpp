// Arbitrary text through render_content_html, as Markdown and as text, checking what SPEC
// sections 3 and 4 promise of content_html: rendering is deterministic; the HTML holds only
// the tags the renderer writes itself (so never a raw <script, never an event handler), and
// every href / src, read the way a browser reads it, is http, https, mailto or relative.
// Markdown output is valid UTF-8; text output is only <p> and <br />.
#include "notify/markdown.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace herald::notify;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

bool one_of(std::string_view word, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), word) != set.end();
}

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// An attribute value as the browser sees it. The renderer escapes every '&' it copies, so
// only its own few escapes can occur; any other entity would be one the browser decodes
// (&colon; is ':') and is refused here.
std::string unescape_attribute(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size();) {
    if (value[i] != '&') {
      out += value[i++];
      continue;
    }
    bool known = false;
    for (const auto& [entity, c] : std::array<std::pair<std::string_view, char>, 6>{{{"&amp;", '&'},
                                                                                     {"&quot;", '"'},
                                                                                     {"&lt;", '<'},
                                                                                     {"&gt;", '>'},
                                                                                     {"&#x27;", '\''},
                                                                                     {"&#39;", '\''}}}) {
      if (value.substr(i).starts_with(entity)) {
        out += c;
        i += entity.size();
        known = true;
        break;
      }
    }
    check(known);
  }
  return out;
}

// The URL's scheme as the WHATWG URL parser finds it (after stripping leading and trailing
// C0 controls and spaces and removing tabs and newlines); empty for a relative URL.
std::string scheme_of(std::string_view url) {
  std::string cleaned;
  for (char c : url)
    if (c != '\t' && c != '\n' && c != '\r') cleaned += c;
  const auto is_c0_or_space = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
  while (!cleaned.empty() && is_c0_or_space(cleaned.front()))
    cleaned.erase(cleaned.begin());
  if (cleaned.empty() || !alpha(cleaned.front())) return {};
  std::size_t i = 1;
  while (i < cleaned.size() && (alpha(cleaned[i]) || digit(cleaned[i]) || cleaned[i] == '+' ||
                                cleaned[i] == '-' || cleaned[i] == '.'))
    ++i;
  if (i == cleaned.size() || cleaned[i] != ':') return {};
  return lowered(std::string_view(cleaned).substr(0, i));
}

// Walks every tag of `html`: only `tags` may occur, with only `attributes`, and URLs must be safe.
void check_html(std::string_view html, std::initializer_list<std::string_view> tags,
                std::initializer_list<std::string_view> attributes) {
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    ++pos;
    if (pos < html.size() && html[pos] == '/') ++pos;
    const std::size_t name_start = pos;
    while (pos < html.size() && (alpha(html[pos]) || digit(html[pos])))
      ++pos;
    const std::string_view name = html.substr(name_start, pos - name_start);
    check(one_of(name, tags));
    // Attributes: name="value", the value without a raw '"'.
    for (;;) {
      while (pos < html.size() && html[pos] == ' ')
        ++pos;
      check(pos < html.size());
      if (html[pos] == '>') break;
      if (html.substr(pos).starts_with("/>")) break;
      const std::size_t attr_start = pos;
      while (pos < html.size() && alpha(html[pos]))
        ++pos;
      const std::string_view attr = html.substr(attr_start, pos - attr_start);
      check(one_of(attr, attributes));
      check(html.substr(pos).starts_with("=\""));
      pos += 2;
      const std::size_t end = html.find('"', pos);
      check(end != std::string_view::npos);
      const std::string value = unescape_attribute(html.substr(pos, end - pos));
      if (attr == "href" || attr == "src") check(one_of(scheme_of(value), {"", "http", "https", "mailto"}));
      pos = end + 1;
    }
  }
  check(lowered(html).find("<script") == std::string::npos);
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, std::size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(input), size);

  const std::string markdown = render_content_html(content, ContentFormat::markdown);
  check(render_content_html(content, ContentFormat::markdown) == markdown);
  check_html(markdown,
             {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "em",
              "strong", "a", "img", "hr", "br"},
             {"href", "title", "src", "alt", "start", "class"});
  check(valid_utf8(markdown));

  const std::string text = render_content_html(content, ContentFormat::text);
  check(render_content_html(content, ContentFormat::text) == text);
  check_html(text, {"p", "br"}, {});

  // What the sanitizer's URL test says is safe must be safe by the browser's reading too.
  if (size <= 256 && is_safe_url(content)) check(one_of(scheme_of(content), {"", "http", "https", "mailto"}));
  return 0;
}
