// Curator queue: "select all" for bulk decisions, and the reason field shown only when declining.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    });
  }
  var action = document.getElementById("id_bulk-action") || document.getElementById("id_action");
  var reason = document.getElementById("bulk-reason");
  function sync() {
    if (action && reason) { reason.hidden = action.value !== "decline"; }
  }
  if (action) { action.addEventListener("change", sync); sync(); }
})();
