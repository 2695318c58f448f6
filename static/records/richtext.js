/* A small rich-text editor for the description (progressive enhancement, no libraries).

   The <textarea data-richtext="p br strong …"> stays the submitted field: the editor (an ARIA
   textbox, contenteditable) writes cleaned HTML into it on every change and before the form is
   sent, and the server sanitises it again (nh3). Without JavaScript the textarea takes HTML.

   Keyboard: Ctrl+B bold, Ctrl+I italic, Ctrl+K link, Ctrl+Shift+7 / Ctrl+Shift+8 numbered /
   bulleted list; Alt+F10 moves to the toolbar (arrow keys, Home and End move between its
   buttons), Escape goes back to the text. The toolbar's markup and words come from the page
   (<template id="richtext-template">), so they are translated with the rest of the site. */
(function () {
  "use strict";
  var textarea = document.querySelector("textarea[data-richtext]");
  var template = document.getElementById("richtext-template");
  if (!textarea || !template || typeof document.execCommand !== "function" || !window.DOMParser) { return; }

  var allowed = {};
  textarea.getAttribute("data-richtext").split(/\s+/).forEach(function (tag) { if (tag) { allowed[tag] = true; } });
  var RENAME = { b: "strong", i: "em" };
  var UNWRAP = { span: true, font: true };  // formatting wrappers the browser adds; they carry nothing we keep
  var DROP = { script: true, style: true, template: true, iframe: true, object: true, embed: true, head: true,
               title: true, meta: true, link: true, noscript: true };
  var ATTRIBUTES = { a: ["href", "title"], th: ["scope"], td: ["colspan", "rowspan"] };
  var SAFE_URL = /^(https?:|mailto:)/i;

  // --- Cleaning: the same allow-list as the server's sanitiser --------------------------------
  function cleanInto(source, target) {
    Array.prototype.forEach.call(source.childNodes, function (node) {
      if (node.nodeType === 3) { target.appendChild(document.createTextNode(node.nodeValue)); return; }
      if (node.nodeType !== 1) { return; }
      var tag = node.tagName.toLowerCase();
      if (DROP[tag]) { return; }
      tag = RENAME[tag] || tag;
      if (UNWRAP[tag] || !allowed[tag]) { cleanInto(node, target); return; }
      var element = document.createElement(tag);
      (ATTRIBUTES[tag] || []).forEach(function (name) {
        var value = (node.getAttribute(name) || "").trim();
        if (!value || (name === "href" && !SAFE_URL.test(value))) { return; }
        element.setAttribute(name, value);
      });
      cleanInto(node, element);
      target.appendChild(element);
    });
    return target;
  }

  function parse(html) {
    // an inert document: nothing in it runs or loads
    return new DOMParser().parseFromString("<!DOCTYPE html><body>" + html, "text/html").body;
  }

  function textToHtml(text) {
    var holder = document.createElement("div");
    text.split(/\n\s*\n/).forEach(function (para) {
      if (!para.trim()) { return; }
      var p = document.createElement("p");
      para.split("\n").forEach(function (line, i) {
        if (i) { p.appendChild(document.createElement("br")); }
        p.appendChild(document.createTextNode(line));
      });
      holder.appendChild(p);
    });
    return holder.innerHTML;
  }

  function cleanHtml(html) {
    if (!/<[a-z!\/?]/i.test(html)) { html = textToHtml(html); }
    return cleanInto(parse(html), document.createElement("div"));
  }

  // --- Building the editor ------------------------------------------------------------------
  var box = template.content.firstElementChild.cloneNode(true);
  var toolbar = box.querySelector("[role=toolbar]");
  var editor = box.querySelector("[data-editor]");
  var panel = box.querySelector("[data-link-panel]");
  var urlInput = panel.querySelector("input");
  var urlError = panel.querySelector("[data-link-error]");
  var sourceButton = box.querySelector("[data-source]");
  var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button"));
  var label = document.querySelector('label[for="' + textarea.id + '"]');
  var field = textarea.closest(".field");

  editor.id = textarea.id + "_editor";
  urlInput.id = textarea.id + "_link_url";
  urlError.id = textarea.id + "_link_error";
  urlInput.setAttribute("aria-describedby", urlError.id);
  panel.querySelector("label").htmlFor = urlInput.id;
  toolbar.setAttribute("aria-controls", editor.id);
  if (label) {
    label.id = label.id || textarea.id + "_label";
    editor.setAttribute("aria-labelledby", label.id);
    label.addEventListener("click", function (event) {
      if (!editor.hidden) { event.preventDefault(); editor.focus(); }
    });
  }
  // the field's own help text is about typing HTML: shown with the HTML source only
  var htmlHelp = document.getElementById(textarea.id + "_helptext");
  if (htmlHelp) { htmlHelp.hidden = true; }
  var described = (textarea.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
    return id && id !== textarea.id + "_helptext";
  });
  var errors = document.getElementById(textarea.id + "_errors");
  if (errors && described.indexOf(errors.id) === -1) { described.push(errors.id); }
  var keysHint = box.querySelector("[data-keys]");
  if (keysHint) { keysHint.id = textarea.id + "_keys"; described.push(keysHint.id); }
  editor.setAttribute("aria-describedby", described.join(" "));
  if (field && field.classList.contains("field-error")) { editor.setAttribute("aria-invalid", "true"); }

  function load(html) {
    editor.textContent = "";
    var cleaned = cleanHtml(html);
    while (cleaned.firstChild) { editor.appendChild(cleaned.firstChild); }
    if (!editor.firstChild) { editor.innerHTML = "<p><br></p>"; }
  }
  load(textarea.value);
  textarea.parentNode.insertBefore(box, textarea);
  textarea.hidden = true;
  try { document.execCommand("defaultParagraphSeparator", false, "p"); } catch (e) { /* older browsers */ }

  var BLOCK = { p: true, div: true, ul: true, ol: true, table: true, blockquote: true, pre: true, hr: true,
                h3: true, h4: true, h5: true, h6: true };

  function isBlock(node) { return node.nodeType === 1 && BLOCK[node.tagName.toLowerCase()]; }

  function tidy(root) {
    // Editing can leave blocks inside a paragraph (<p><ul>…</ul></p>): lift them out, keeping the
    // inline runs around them as paragraphs.
    Array.prototype.slice.call(root.querySelectorAll("p")).forEach(function (p) {
      if (!Array.prototype.some.call(p.childNodes, isBlock)) { return; }
      var run = null;
      while (p.firstChild) {
        var child = p.firstChild;
        if (isBlock(child)) {
          p.parentNode.insertBefore(child, p);
          run = null;
        } else {
          if (!run) { run = document.createElement("p"); p.parentNode.insertBefore(run, p); }
          run.appendChild(child);
        }
      }
      p.parentNode.removeChild(p);
    });
    Array.prototype.slice.call(root.querySelectorAll("p, li")).forEach(function (block) {
      while (block.lastChild && block.lastChild.nodeName === "BR") { block.removeChild(block.lastChild); }
      if (block.nodeName === "P" && !block.textContent.trim() && !block.querySelector("hr")) {
        block.parentNode.removeChild(block);
      }
    });
    return root;
  }

  function serialize() {
    var holder = tidy(cleanInto(editor, document.createElement("div")));
    if (!holder.textContent.trim() && !holder.querySelector("hr")) { return ""; }
    // the browser types no-break spaces to keep spaces visible while editing
    return holder.innerHTML.replace(/&nbsp;/g, " ");
  }

  function sync() {
    if (!editor.hidden) { textarea.value = serialize(); }
  }

  // --- Selection ------------------------------------------------------------------------------
  var savedRange = null;

  function inEditor(node) { return node && (node === editor || editor.contains(node)); }

  function saveSelection() {
    var selection = window.getSelection();
    if (selection.rangeCount && inEditor(selection.getRangeAt(0).commonAncestorContainer)) {
      savedRange = selection.getRangeAt(0).cloneRange();
    }
  }

  function restoreSelection() {
    editor.focus();
    if (savedRange) {
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(savedRange);
    }
  }

  function closest(tag) {
    var selection = window.getSelection();
    var node = selection.rangeCount ? selection.getRangeAt(0).commonAncestorContainer : null;
    while (node && node !== editor) {
      if (node.nodeType === 1 && node.tagName.toLowerCase() === tag) { return node; }
      node = node.parentNode;
    }
    return null;
  }

  function selectNode(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // --- Commands -------------------------------------------------------------------------------
  var STATE = { bold: "bold", italic: "italic", ul: "insertUnorderedList", ol: "insertOrderedList" };

  function updateState() {
    buttons.forEach(function (button) {
      var name = button.getAttribute("data-command");
      if (STATE[name]) {
        var on = false;
        try { on = document.queryCommandState(STATE[name]); } catch (e) { on = false; }
        button.setAttribute("aria-pressed", on ? "true" : "false");
      } else if (name === "link") {
        button.setAttribute("aria-pressed", closest("a") ? "true" : "false");
      }
    });
  }

  function run(name) {
    restoreSelection();
    if (name === "link") { openLinkPanel(); return; }
    if (name === "paragraph") {
      if (document.queryCommandState("insertUnorderedList")) { document.execCommand("insertUnorderedList"); }
      if (document.queryCommandState("insertOrderedList")) { document.execCommand("insertOrderedList"); }
      document.execCommand("formatBlock", false, "p");
    } else {
      document.execCommand(STATE[name]);
    }
    saveSelection();
    sync();
    updateState();
  }

  function openLinkPanel() {
    saveSelection();
    var anchor = closest("a");
    urlInput.value = anchor ? anchor.getAttribute("href") || "" : "";
    panel.querySelector("[data-link=remove]").hidden = !anchor;
    urlError.hidden = true;
    urlInput.removeAttribute("aria-invalid");
    panel.hidden = false;
    urlInput.focus();
  }

  function closeLinkPanel() {
    panel.hidden = true;
    restoreSelection();
    updateState();
  }

  function applyLink() {
    var url = urlInput.value.trim();
    if (url && !/^[a-z][a-z0-9+.\-]*:/i.test(url)) {
      url = (url.indexOf("@") > 0 && url.indexOf("/") === -1 ? "mailto:" : "https://") + url;
    }
    if (!SAFE_URL.test(url)) {
      urlError.hidden = false;
      urlInput.setAttribute("aria-invalid", "true");
      urlInput.focus();
      return;
    }
    panel.hidden = true;
    restoreSelection();
    var anchor = closest("a");
    if (anchor) {
      anchor.setAttribute("href", url);
    } else if (window.getSelection().isCollapsed) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = url;
      document.execCommand("insertHTML", false, link.outerHTML);
    } else {
      document.execCommand("createLink", false, url);
    }
    saveSelection();
    sync();
    updateState();
  }

  function removeLink() {
    panel.hidden = true;
    restoreSelection();
    var anchor = closest("a");
    if (anchor) { selectNode(anchor); document.execCommand("unlink"); }
    saveSelection();
    sync();
    updateState();
  }

  panel.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    var action = button.getAttribute("data-link");
    if (action === "apply") { applyLink(); } else if (action === "remove") { removeLink(); } else { closeLinkPanel(); }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closeLinkPanel(); }
    if (event.key === "Enter" && event.target === urlInput) { event.preventDefault(); applyLink(); }
  });

  // --- Toolbar: one tab stop, arrow keys between buttons (WAI-ARIA toolbar pattern) ----------------
  function enabledButtons() { return buttons.filter(function (b) { return !b.disabled; }); }

  function focusButton(button) {
    buttons.forEach(function (b) { b.tabIndex = b === button ? 0 : -1; });
    button.focus();
  }
  buttons.forEach(function (b, i) { b.tabIndex = i === 0 ? 0 : -1; });

  toolbar.addEventListener("mousedown", function (event) {
    if (event.target.closest("[data-command]")) { event.preventDefault(); }  // keep the text's selection
  });
  toolbar.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    buttons.forEach(function (b) { b.tabIndex = b === button ? 0 : -1; });
    if (button === sourceButton) { toggleSource(); return; }
    run(button.getAttribute("data-command"));
  });
  toolbar.addEventListener("keydown", function (event) {
    var list = enabledButtons();
    var index = list.indexOf(document.activeElement);
    if (index === -1) { return; }
    var next = null;
    if (event.key === "ArrowRight") { next = list[(index + 1) % list.length]; }
    if (event.key === "ArrowLeft") { next = list[(index - 1 + list.length) % list.length]; }
    if (event.key === "Home") { next = list[0]; }
    if (event.key === "End") { next = list[list.length - 1]; }
    if (next) { event.preventDefault(); focusButton(next); }
    if (event.key === "Escape" && !editor.hidden) { event.preventDefault(); restoreSelection(); }
  });

  // --- The text ---------------------------------------------------------------------------------
  editor.addEventListener("keydown", function (event) {
    var mod = event.ctrlKey || event.metaKey;
    var key = event.key.toLowerCase();
    if (event.altKey && event.key === "F10") {
      event.preventDefault();
      saveSelection();
      focusButton(buttons.filter(function (b) { return b.tabIndex === 0; })[0] || buttons[0]);
    } else if (mod && !event.shiftKey && !event.altKey && (key === "b" || key === "i" || key === "k")) {
      event.preventDefault();
      saveSelection();
      run({ b: "bold", i: "italic", k: "link" }[key]);
    } else if (mod && event.shiftKey && (event.code === "Digit7" || event.code === "Digit8")) {
      event.preventDefault();
      saveSelection();
      run(event.code === "Digit7" ? "ol" : "ul");
    }
  });
  editor.addEventListener("input", function () { sync(); });
  editor.addEventListener("keyup", saveSelection);
  editor.addEventListener("mouseup", saveSelection);
  editor.addEventListener("blur", saveSelection);
  document.addEventListener("selectionchange", function () {
    var selection = window.getSelection();
    if (selection.rangeCount && inEditor(selection.anchorNode)) { updateState(); }
  });
  editor.addEventListener("paste", function (event) {
    var data = event.clipboardData;
    if (!data) { return; }
    event.preventDefault();
    var html = data.getData("text/html");
    if (html) {
      document.execCommand("insertHTML", false, cleanInto(parse(html), document.createElement("div")).innerHTML);
    } else {
      document.execCommand("insertText", false, data.getData("text/plain"));
    }
    sync();
  });

  // --- HTML source view ---------------------------------------------------------------------------
  function toggleSource() {
    var showSource = editor.hidden === false;
    if (showSource) {
      sync();
      editor.hidden = true;
      textarea.hidden = false;
      textarea.focus();
    } else {
      load(textarea.value);
      textarea.hidden = true;
      editor.hidden = false;
      savedRange = null;
      editor.focus();
      sync();
    }
    sourceButton.setAttribute("aria-pressed", showSource ? "true" : "false");
    if (htmlHelp) { htmlHelp.hidden = !showSource; }
    buttons.forEach(function (b) { if (b !== sourceButton) { b.disabled = showSource; } });
    panel.hidden = true;
  }

  textarea.form.addEventListener("submit", sync);
  textarea.form.addEventListener("formdata", sync);
  sync();
}());
