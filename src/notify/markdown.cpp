#include "notify/markdown.hpp"

#include <cmark.h>

#include <memory>
#include <vector>

namespace herald::notify {
namespace {

struct NodeDeleter {
  void operator()(cmark_node* node) const { cmark_node_free(node); }
};
struct IterDeleter {
  void operator()(cmark_iter* iter) const { cmark_iter_free(iter); }
};
using NodePtr = std::unique_ptr<cmark_node, NodeDeleter>;
using IterPtr = std::unique_ptr<cmark_iter, IterDeleter>;

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// Moves the children of `node` in front of it and frees the node: a link keeps its text,
// an image keeps its alt text.
void replace_by_children(cmark_node* node) {
  while (cmark_node* child = cmark_node_first_child(node)) {
    cmark_node_insert_before(node, child); // unlinks the child from `node` first
  }
  cmark_node_unlink(node);
  cmark_node_free(node);
}

// Removes what must not reach the HTML renderer. The nodes are collected first because
// cmark iterators must not outlive structural edits.
void sanitize(cmark_node* root) {
  std::vector<cmark_node*> unwrap;
  std::vector<cmark_node*> drop;
  IterPtr iter(cmark_iter_new(root));
  for (cmark_event_type ev; (ev = cmark_iter_next(iter.get())) != CMARK_EVENT_DONE;) {
    if (ev != CMARK_EVENT_ENTER) continue;
    cmark_node* node = cmark_iter_get_node(iter.get());
    switch (cmark_node_get_type(node)) {
    case CMARK_NODE_LINK:
    case CMARK_NODE_IMAGE: {
      const char* url = cmark_node_get_url(node);
      if (!is_safe_url(url ? url : "")) unwrap.push_back(node);
      break;
    }
    // Safe mode would print "<!-- raw HTML omitted -->"; dropping the node says the same
    // without leaving a comment in every notification.
    case CMARK_NODE_HTML_BLOCK:
    case CMARK_NODE_HTML_INLINE:
      drop.push_back(node);
      break;
    default:
      break;
    }
  }
  iter.reset();
  for (cmark_node* node : drop) {
    cmark_node_unlink(node);
    cmark_node_free(node);
  }
  // A nested node moves along with its parent's children, so its pointer stays valid.
  for (cmark_node* node : unwrap)
    replace_by_children(node);
}

std::string render_markdown(std::string_view content) {
  // VALIDATE_UTF8 replaces invalid sequences, so the HTML is always valid UTF-8.
  NodePtr doc(
      cmark_parse_document(content.data(), content.size(), CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8));
  if (!doc) return {};
  sanitize(doc.get());
  // CMARK_OPT_DEFAULT is cmark's safe mode; CMARK_OPT_UNSAFE must never be passed here.
  char* html = cmark_render_html(doc.get(), CMARK_OPT_DEFAULT);
  if (!html) return {};
  std::string out(html);
  cmark_get_default_mem_allocator()->free(html);
  return out;
}

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

std::string render_text(std::string_view content) {
  std::string out;
  std::vector<std::string_view> paragraph;
  auto flush = [&] {
    if (paragraph.empty()) return;
    out += "<p>";
    for (std::size_t i = 0; i < paragraph.size(); ++i) {
      if (i > 0) out += "<br />\n";
      append_escaped(out, paragraph[i]);
    }
    out += "</p>\n";
    paragraph.clear();
  };
  std::size_t pos = 0;
  while (pos <= content.size()) {
    std::size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) nl = content.size();
    std::string_view line = content.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank(line)) {
      flush();
    } else {
      paragraph.push_back(line);
    }
    pos = nl + 1;
  }
  flush();
  return out;
}

} // namespace

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
}

std::optional<ContentFormat> parse_content_format(std::string_view name) {
  if (name == "markdown") return ContentFormat::markdown;
  if (name == "text") return ContentFormat::text;
  return std::nullopt;
}

std::string render_content_html(std::string_view content, ContentFormat format) {
  return format == ContentFormat::markdown ? render_markdown(content) : render_text(content);
}

bool is_safe_url(std::string_view url) {
  // Browsers skip leading C0 controls and spaces and delete tabs and newlines anywhere
  // before parsing: judge the URL they will actually follow.
  std::string cleaned;
  cleaned.reserve(url.size());
  bool leading = true;
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (leading && u <= 0x20) continue;
    leading = false;
    if (c == '\t' || c == '\n' || c == '\r') continue;
    cleaned += c;
  }
  const std::size_t stop = cleaned.find_first_of(":/?#");
  if (stop == std::string::npos || cleaned[stop] != ':') return true; // relative
  const std::string_view scheme = std::string_view(cleaned).substr(0, stop);
  return iequals(scheme, "http") || iequals(scheme, "https") || iequals(scheme, "mailto");
}

} // namespace herald::notify
