/* The deposit form: add, remove and reorder rows (creators, contributors, related identifiers…),
   affiliations inside a person's row, the licence search, and showing the fields that apply.
   Rows are submitted in page order and the server reads them in that order, so moving a row only
   moves its element; new rows get a fresh index so names never clash. No libraries. */
(function () {
  "use strict";
  var form = document.getElementById("deposit-form");
  if (!form) { return; }
  var status = document.getElementById("rows-status");

  function announce(text) { if (status) { status.textContent = text; } }
  // Announcements are translated in the page: data-added="{item} added", data-licences="{count} licences match"…
  function phrase(name, values) {
    var text = (status && status.getAttribute("data-" + name)) || "";
    Object.keys(values).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  function nextIndex(list) {
    var max = -1;
    list.querySelectorAll(":scope > [data-row]").forEach(function (row) {
      var n = parseInt(row.getAttribute("data-index"), 10);
      if (!isNaN(n) && n > max) { max = n; }
    });
    return max + 1;
  }

  function renumber(list) {
    list.querySelectorAll(":scope > [data-row]").forEach(function (row, i) {
      var label = row.querySelector("[data-row-number]");
      if (label) { label.textContent = String(i + 1); }
    });
  }

  function fromTemplate(id, replacements) {
    var tpl = document.getElementById(id);
    var html = tpl.innerHTML;
    Object.keys(replacements).forEach(function (key) { html = html.split(key).join(replacements[key]); });
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function addRow(group) {
    var list = form.querySelector('[data-rows="' + group + '"]');
    var row = fromTemplate("tpl-" + group, { "__i__": String(nextIndex(list)) });
    list.appendChild(row);
    renumber(list);
    setupPerson(row);
    var first = row.querySelector("input[type=text]:not([hidden]), select");
    var visible = Array.prototype.find.call(row.querySelectorAll("input[type=text]"), function (el) {
      return el.offsetParent !== null;
    });
    (visible || first).focus();
    announce(phrase("added", { item: row.querySelector("legend").textContent.trim() }));
  }

  function addAffiliation(row) {
    var list = row.querySelector("[data-affiliation-list]");
    var max = -1;
    list.querySelectorAll("input").forEach(function (input) {
      var m = /-affiliations-(\d+)-/.exec(input.name);
      if (m && parseInt(m[1], 10) > max) { max = parseInt(m[1], 10); }
    });
    var item = fromTemplate("tpl-affiliation", {
      "__g__": row.getAttribute("data-group"),
      "__i__": row.getAttribute("data-index"),
      "__j__": String(max + 1)
    });
    list.appendChild(item);
    item.querySelector("input").focus();
  }

  function setupPerson(row) {
    var type = row.querySelector('select[name$="-type"]');
    if (!type || !row.classList.contains("person-row")) { return; }
    function apply() {
      var org = type.value === "organizational";
      row.querySelectorAll(".personal-only").forEach(function (el) { el.hidden = org; });
      row.querySelectorAll(".organizational-only").forEach(function (el) { el.hidden = !org; });
    }
    type.addEventListener("change", apply);
    apply();
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !form.contains(button)) { return; }
    var row = button.closest("[data-row]");
    if (button.hasAttribute("data-add-row")) {
      event.preventDefault();
      addRow(button.getAttribute("data-add-row"));
    } else if (button.hasAttribute("data-add-affiliation")) {
      event.preventDefault();
      addAffiliation(row);
    } else if (button.hasAttribute("data-remove-affiliation")) {
      event.preventDefault();
      var item = button.closest("[data-affiliation]");
      var next = row.querySelector("[data-add-affiliation]");
      item.remove();
      next.focus();
    } else if (button.hasAttribute("data-remove-row")) {
      event.preventDefault();
      var list = row.parentElement;
      var addButton = form.querySelector('[data-add-row="' + row.getAttribute("data-group") + '"]');
      var legend = row.querySelector("legend").textContent.trim();
      row.remove();
      renumber(list);
      announce(phrase("removed", { item: legend }));
      if (addButton) { addButton.focus(); }
    } else if (button.hasAttribute("data-move")) {
      event.preventDefault();
      var up = button.getAttribute("data-move") === "up";
      var sibling = up ? row.previousElementSibling : row.nextElementSibling;
      if (!sibling) { return; }
      if (up) { row.parentElement.insertBefore(row, sibling); } else { row.parentElement.insertBefore(sibling, row); }
      renumber(row.parentElement);
      button.focus();
      announce(row.querySelector("legend").textContent.trim());
    }
  });

  form.querySelectorAll(".person-row").forEach(setupPerson);

  // Fields that apply to the chosen resource type and access right.
  function toggle(selector, show) {
    form.querySelectorAll(selector).forEach(function (el) { el.hidden = !show; });
  }
  var rtype = document.getElementById("id_resource_type");
  function applyType() {
    toggle(".subtype-publication", rtype.value === "publication");
    toggle(".subtype-image", rtype.value === "image");
  }
  if (rtype) { rtype.addEventListener("change", applyType); applyType(); }

  function accessValue() {
    var checked = form.querySelector('input[name="access_right"]:checked');
    return checked ? checked.value : "";
  }
  function applyAccess() {
    var value = accessValue();
    toggle(".access-embargoed", value === "embargoed");
    toggle(".access-restricted", value === "restricted");
  }
  form.querySelectorAll('input[name="access_right"]').forEach(function (radio) {
    radio.addEventListener("change", applyAccess);
  });
  applyAccess();

  // Licence search: filters the options of the licence list as you type.
  var search = document.getElementById("licence-search");
  var select = document.getElementById("id_license");
  if (search && select) {
    search.closest(".licence-search").hidden = false;
    select.size = 8;
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0, firstShown = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var text = (option.text + " " + option.value).toLowerCase().replace(/-/g, " ");
        var match = words.every(function (w) { return text.indexOf(w.replace(/-/g, " ")) !== -1; });
        option.hidden = !match && option.value !== "";
        if (match && option.value) { shown += 1; if (!firstShown) { firstShown = option; } }
      });
      announce(phrase("licences", { count: String(shown) }));
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var first = Array.prototype.find.call(select.options, function (o) { return !o.hidden && o.value; });
        if (first) { select.value = first.value; select.focus(); }
      }
    });
  }

  // The licence's full name under the list (long names do not fit the list's width).
  if (select) {
    var chosenLicence = document.createElement("p");
    chosenLicence.className = "helptext licence-chosen";
    chosenLicence.id = "licence-chosen";
    chosenLicence.setAttribute("aria-live", "polite");
    select.parentNode.insertBefore(chosenLicence, select.nextSibling);
    Array.prototype.forEach.call(select.options, function (o) { o.title = o.text; });
    var showLicence = function () {
      var option = select.options[select.selectedIndex];
      chosenLicence.textContent = option && option.value ? option.text : "";
    };
    select.addEventListener("change", showLicence);
    showLicence();
  }

  // Languages: a search box over the list, and a click (no Ctrl needed) chooses or removes a language.
  var langs = document.getElementById("id_languages");
  if (langs && langs.multiple && status) {
    var langSearch = document.createElement("input");
    langSearch.type = "search";
    langSearch.id = "language-search";
    langSearch.autocomplete = "off";
    langSearch.placeholder = status.getAttribute("data-language-placeholder");
    langSearch.setAttribute("aria-label", status.getAttribute("data-language-search"));
    langSearch.setAttribute("aria-controls", "id_languages");
    langs.parentNode.insertBefore(langSearch, langs);
    var langChosen = document.createElement("p");
    langChosen.className = "helptext";
    langChosen.id = "languages-chosen";
    langChosen.setAttribute("aria-live", "polite");
    langs.parentNode.insertBefore(langChosen, langs.nextSibling);
    langs.size = 8;
    var showLanguages = function () {
      var names = Array.prototype.filter.call(langs.options, function (o) { return o.selected; })
        .map(function (o) { return o.text; });
      langChosen.textContent = names.length
        ? status.getAttribute("data-chosen").replace("{items}", names.join(", "))
        : status.getAttribute("data-none-chosen");
    };
    langSearch.addEventListener("input", function () {
      var words = langSearch.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(langs.options, function (option) {
        var text = (option.text + " " + option.value).toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match;
        if (match) { shown += 1; }
      });
      announce(status.getAttribute("data-languages").replace("{count}", String(shown)));
    });
    langSearch.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var first = Array.prototype.find.call(langs.options, function (o) { return !o.hidden; });
        if (first) {
          first.selected = true;
          langs.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    });
    langs.addEventListener("mousedown", function (event) {
      if (event.target.tagName !== "OPTION") { return; }
      event.preventDefault();
      event.target.selected = !event.target.selected;
      langs.focus();
      langs.dispatchEvent(new Event("change", { bubbles: true }));
    });
    langs.addEventListener("change", showLanguages);
    showLanguages();
  }

  var discard = document.getElementById("discard-form");
  if (discard) {
    discard.addEventListener("submit", function (event) {
      if (!window.confirm(discard.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  }

  // A new upload: the first file or field change creates the draft; the page then carries on as
  // the draft's edit form, with the uploader in place (no save needed before adding files).
  var depositForm = document.getElementById("deposit-form");
  var starter = document.querySelector("[data-draft-start]");
  if (depositForm && starter) {
    var starting = null;
    var started = false;
    var firstFiles = starter.querySelector("[data-first-files]");
    var startError = starter.querySelector("[data-draft-error]");
    var startDraft = function () {
      if (starting) { return starting; }
      var data = new FormData(depositForm);
      data.set("action", "save");
      starting = fetch(depositForm.getAttribute("action"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-Draft-Start": "1", "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.message || response.statusText); }
          return body;
        });
      }).then(function (body) {
        depositForm.setAttribute("action", body.edit_url);
        history.replaceState(null, "", body.edit_url);
        var holder = document.createElement("div");
        holder.innerHTML = body.files_html;
        var script = holder.querySelector("script[src]");
        if (script) { script.remove(); }
        starter.replaceWith.apply(starter, Array.prototype.slice.call(holder.childNodes));
        started = true;
        if (!script) { return body; }
        return new Promise(function (resolve) {  // scripts put in with innerHTML do not run: load it
          var tag = document.createElement("script");
          tag.src = script.getAttribute("src");
          tag.onload = function () { resolve(body); };
          document.body.appendChild(tag);
        });
      });
      starting.catch(function (error) {
        starting = null;
        startError.hidden = false;
        startError.textContent = starter.getAttribute("data-failed").replace("%(message)s", error.message);
      });
      return starting;
    };
    firstFiles.addEventListener("change", function () {
      var files = Array.prototype.slice.call(firstFiles.files);
      startDraft().then(function () {
        if (window.storageUploader) { window.storageUploader.addFiles(files); }
      });
    });
    depositForm.addEventListener("change", function (event) {
      if (event.target !== firstFiles && !event.target.closest("[data-storage-uploader]")) { startDraft(); }
    });
    depositForm.addEventListener("submit", function (event) {
      if (started || !starting) { return; }
      event.preventDefault();  // a draft is being created: save into it, not a second one
      var submitter = event.submitter;
      starting.then(function () { depositForm.requestSubmit(submitter); });
    });
  }

  var summary = document.getElementById("error-summary");
  if (summary) {
    // Each link of the error summary moves the focus to its field (not just the scroll position).
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-error-link]");
      if (!link) { return; }
      var id = link.getAttribute("data-error-link");
      var target = document.getElementById(id) || document.querySelector('[id^="' + id + '"]');
      if (target && !/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) {
        target = target.querySelector("input, select, textarea, [contenteditable=true]") || target;
      }
      if (!target) { return; }
      event.preventDefault();
      if (target.hidden || target.offsetParent === null) {  // a textarea behind the rich-text editor
        var editor = document.getElementById(target.id + "_editor");
        if (editor) { target = editor; }
      }
      target.scrollIntoView({ block: "center" });
      target.focus();
      history.replaceState(null, "", "#" + id);
    });
    summary.focus();
  }
}());
