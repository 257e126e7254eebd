// Render the site's math with the vendored KaTeX, on every page load (including the
// instant-navigation ones Material announces through document$).
// Pages: pymdownx.arithmatex (generic) wraps math as \( \) and \[ \] in .arithmatex.
// Labs: notebook Markdown cells (mkdocs-jupyter) keep $ and $$ as written.
(function () {
  "use strict";
  var PAGE_DELIMITERS = [
    { left: "\\[", right: "\\]", display: true },
    { left: "\\(", right: "\\)", display: false },
  ];
  var NOTEBOOK_DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];
  function render(root) {
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, { delimiters: PAGE_DELIMITERS, throwOnError: false });
    });
    root.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown, .jupyter-wrapper .jp-MarkdownOutput")
      .forEach(function (el) {
        renderMathInElement(el, { delimiters: NOTEBOOK_DELIMITERS, throwOnError: false });
      });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function (doc) { render(doc.body || document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { render(document.body); });
  }
})();
