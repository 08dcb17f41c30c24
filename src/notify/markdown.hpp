#pragma once
// content -> content_html. The output is safe to insert into a page as HTML: raw HTML never
// passes, and only http, https, mailto and relative URLs survive in links and images.

#include <optional>
#include <string>
#include <string_view>

namespace herald::notify {

enum class ContentFormat { markdown, text };

// "markdown" or "text"; nullopt for anything else (the API answers 400).
std::optional<ContentFormat> parse_content_format(std::string_view name);

// Renders `content` as sanitized HTML. Markdown goes through cmark in its safe mode, then
// loses every link or image URL that is_safe_url() rejects (the link text stays). Text
// becomes escaped paragraphs: blank lines separate them, single newlines become <br />.
std::string render_content_html(std::string_view content, ContentFormat format);

// True for http:, https:, mailto: (any case) and relative URLs. Judged the way a browser
// reads the URL: leading controls and spaces and embedded tabs and newlines are ignored,
// so " java\tscript:" is still javascript:. Anything else with a scheme is rejected.
bool is_safe_url(std::string_view url);

// Appends `text` with & < > " ' written as entities: safe in HTML text and quoted attributes.
void append_escaped(std::string& out, std::string_view text);

} // namespace herald::notify
