// The site's own behaviour, run on every page load (including the ones Material's
// instant navigation announces through document$):
//  1. render math with the vendored KaTeX;
//  2. fold the worked solutions in labs (cells tagged "solution") behind a <details>.
(function () {
  "use strict";
  // Pages: pymdownx.arithmatex (generic) wraps math as \( \) and \[ \] in .arithmatex.
  var PAGE_DELIMITERS = [
    { left: "\\[", right: "\\]", display: true },
    { left: "\\(", right: "\\)", display: false },
  ];
  // Labs: notebook Markdown cells (mkdocs-jupyter) keep $ and $$ as written.
  var NOTEBOOK_DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "$", right: "$", display: false },
  ];

  function renderMath(root) {
    root.querySelectorAll(".arithmatex").forEach(function (el) {
      renderMathInElement(el, { delimiters: PAGE_DELIMITERS, throwOnError: false });
    });
    root.querySelectorAll(".jupyter-wrapper .jp-RenderedMarkdown").forEach(function (el) {
      renderMathInElement(el, { delimiters: NOTEBOOK_DELIMITERS, throwOnError: false });
    });
  }

  function foldSolutions(root) {
    root.querySelectorAll(".jupyter-wrapper .celltag_solution").forEach(function (cell) {
      if (cell.parentElement && cell.parentElement.classList.contains("gtt-solution")) return;
      var details = document.createElement("details");
      details.className = "gtt-solution";
      var summary = document.createElement("summary");
      summary.textContent = "Worked solution (open after you have tried)";
      details.appendChild(summary);
      cell.parentNode.insertBefore(details, cell);
      details.appendChild(cell);
    });
  }

  function init(root) {
    renderMath(root);
    foldSolutions(root);
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { init(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document.body); });
  }
})();
