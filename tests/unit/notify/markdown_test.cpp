#include "notify/markdown.hpp"

#include <gtest/gtest.h>

namespace herald::notify {
namespace {

std::string md(std::string_view s) { return render_content_html(s, ContentFormat::markdown); }
std::string text(std::string_view s) { return render_content_html(s, ContentFormat::text); }

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Markdown, RendersCommonMark) {
  EXPECT_EQ(md("Hello **world**"), "<p>Hello <strong>world</strong></p>\n");
  EXPECT_EQ(md("# Title\n\n- a\n- b"), "<h1>Title</h1>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
  EXPECT_EQ(md(""), "");
}

TEST(Markdown, DropsRawHtml) {
  const auto html =
      md("before <b onclick=\"x()\">bold</b> after\n\n<div>block</div>\n\n<script>alert(1)</script>");
  EXPECT_FALSE(contains(html, "<b"));
  EXPECT_FALSE(contains(html, "<div"));
  EXPECT_FALSE(contains(html, "<script"));
  EXPECT_FALSE(contains(html, "onclick"));
  EXPECT_FALSE(contains(html, "raw HTML omitted"));
  EXPECT_TRUE(contains(html, "before"));
  EXPECT_TRUE(contains(html, "bold"));
  EXPECT_TRUE(contains(html, "after"));
}

TEST(Markdown, EscapesTextThatLooksLikeHtml) {
  EXPECT_EQ(md("1 < 2 & \"q\""), "<p>1 &lt; 2 &amp; &quot;q&quot;</p>\n");
  EXPECT_EQ(md("`<script>`"), "<p><code>&lt;script&gt;</code></p>\n");
}

TEST(Markdown, UnsafeLinksKeepTextAndLoseUrl) {
  const char* unsafe[] = {
      "[click](javascript:alert(1))",
      "[click](JAVASCRIPT:alert(1))",
      "[click](JavaScript:alert(1))",
      "[click](data:text/html;base64,PHNjcmlwdD4=)",
      "[click](vbscript:msgbox)",
      "[click](file:///etc/passwd)",
      "[click](jav&#x61;script:alert(1))",  // entity inside the scheme
      "[click](&#106;avascript:alert(1))",  // entity for the first letter
      "[click](java&#x09;script:alert(1))", // a tab the browser would delete
      "[click](<java\nscript:alert(1)>)",
      "[click](&#x20;javascript:alert(1))", // leading space through an entity
      "[click](<  javascript:alert(1)>)",
      "<javascript:alert(1)>", // autolink
      "[click][ref]\n\n[ref]: javascript:alert(1)",
      "[click](ftp://example.com/x)",
  };
  for (const char* input : unsafe) {
    const auto html = md(input);
    SCOPED_TRACE(input);
    EXPECT_FALSE(contains(html, "<a")) << html;
    EXPECT_FALSE(contains(html, "href")) << html;
    // The text may still read "javascript:..." (an autolink's text is its URL): as text
    // it is harmless.
  }
  EXPECT_EQ(md("[click **me**](javascript:alert(1))"), "<p>click <strong>me</strong></p>\n");
}

TEST(Markdown, SafeLinksKeepTheirUrl) {
  EXPECT_EQ(md("[a](http://example.com/x?y=1)"), "<p><a href=\"http://example.com/x?y=1\">a</a></p>\n");
  EXPECT_EQ(md("[a](HTTPS://example.com)"), "<p><a href=\"HTTPS://example.com\">a</a></p>\n");
  EXPECT_EQ(md("[a](mailto:someone@example.com)"), "<p><a href=\"mailto:someone@example.com\">a</a></p>\n");
  EXPECT_EQ(md("[a](/inbox/3)"), "<p><a href=\"/inbox/3\">a</a></p>\n");
  EXPECT_EQ(md("[a](../up#frag)"), "<p><a href=\"../up#frag\">a</a></p>\n");
  EXPECT_EQ(md("[a](page:with:colon)"), "<p>a</p>\n"); // reads as scheme "page"
  EXPECT_EQ(md("[a](./page:with:colon)"), "<p><a href=\"./page:with:colon\">a</a></p>\n");
  EXPECT_EQ(md("<https://example.com>"), "<p><a href=\"https://example.com\">https://example.com</a></p>\n");
  EXPECT_EQ(md("[a](https://example.com \"t\")"),
            "<p><a href=\"https://example.com\" title=\"t\">a</a></p>\n");
}

TEST(Markdown, ImagesFollowTheSameRule) {
  EXPECT_EQ(md("![logo](https://example.com/l.png)"),
            "<p><img src=\"https://example.com/l.png\" alt=\"logo\" /></p>\n");
  EXPECT_EQ(md("![logo](/l.png)"), "<p><img src=\"/l.png\" alt=\"logo\" /></p>\n");
  EXPECT_EQ(md("![logo](data:image/png;base64,AAAA)"), "<p>logo</p>\n");
  EXPECT_EQ(md("![logo](javascript:alert(1))"), "<p>logo</p>\n");
  // An unsafe image inside a safe link: the link stays, the image becomes its alt text.
  EXPECT_EQ(md("[![x](vbscript:y)](https://ok.example)"), "<p><a href=\"https://ok.example\">x</a></p>\n");
  // A safe image inside an unsafe link: the image stays, the link goes.
  EXPECT_EQ(md("[![x](/i.png)](javascript:y)"), "<p><img src=\"/i.png\" alt=\"x\" /></p>\n");
}

TEST(Markdown, InvalidUtf8IsReplaced) {
  const auto html = md("bad \xff byte");
  EXPECT_TRUE(contains(html, "\xEF\xBF\xBD")); // U+FFFD
}

TEST(IsSafeUrl, Judges) {
  EXPECT_TRUE(is_safe_url("http://a"));
  EXPECT_TRUE(is_safe_url("https://a"));
  EXPECT_TRUE(is_safe_url("MailTo:x@y"));
  EXPECT_TRUE(is_safe_url(""));
  EXPECT_TRUE(is_safe_url("relative/path"));
  EXPECT_TRUE(is_safe_url("?q=javascript:x"));
  EXPECT_TRUE(is_safe_url("#javascript:x"));
  EXPECT_FALSE(is_safe_url("javascript:x"));
  EXPECT_FALSE(is_safe_url(" \x01javascript:x"));
  EXPECT_FALSE(is_safe_url("ja\r\nvascript:x"));
  EXPECT_FALSE(is_safe_url(":x"));
  EXPECT_FALSE(is_safe_url("\xC2\xA0javascript:x"));
}

TEST(TextFormat, EscapesEverything) {
  EXPECT_EQ(text("<b>&\"'</b>"), "<p>&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;</p>\n");
  EXPECT_EQ(text("[a](javascript:x) **not bold**"), "<p>[a](javascript:x) **not bold**</p>\n");
}

TEST(TextFormat, ParagraphsAndLineBreaks) {
  EXPECT_EQ(text("one\ntwo\n\nthree"), "<p>one<br />\ntwo</p>\n<p>three</p>\n");
  EXPECT_EQ(text("a\r\nb\r\n\r\n\r\n  \nc\n"), "<p>a<br />\nb</p>\n<p>c</p>\n");
  EXPECT_EQ(text(""), "");
  EXPECT_EQ(text("\n\n"), "");
}

TEST(ContentFormat, Parses) {
  EXPECT_EQ(parse_content_format("markdown"), ContentFormat::markdown);
  EXPECT_EQ(parse_content_format("text"), ContentFormat::text);
  EXPECT_EQ(parse_content_format("html"), std::nullopt);
}

} // namespace
} // namespace herald::notify
