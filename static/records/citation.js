/* The landing page's citation style picker: shows the chosen style's citation (citeproc-py rendered
   each into the page). Without JavaScript the page's own APA paragraph stays. */
(function () {
  "use strict";
  var box = document.querySelector("[data-citation-styles]");
  var picker = document.querySelector("[data-citation-picker]");
  if (!box || !picker) { return; }
  var own = document.getElementById("citation-apa");
  function show() {
    box.querySelectorAll("[data-citation-style]").forEach(function (block) {
      block.hidden = block.getAttribute("data-citation-style") !== picker.value;
    });
  }
  if (own) { own.hidden = true; }
  box.hidden = false;
  picker.addEventListener("change", show);
  show();
}());
