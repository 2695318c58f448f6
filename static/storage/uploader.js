/* The browser uploader: resumable chunked uploads with a progress bar per file.
 *
 * Protocol (storage/api.py): POST <createUpload> {key, size} → {id}; PATCH /api/v1/uploads/<id>
 * with Upload-Offset and the chunk's bytes; HEAD for the current offset; POST …/finish.
 * The upload id is kept in localStorage under record + key + size + lastModified, so after a
 * page reload choosing the same file again asks the server for its offset and sends only the rest.
 * No external libraries.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-storage-uploader]");
  var configEl = document.getElementById("storage-uploader-config");
  if (!root || !configEl) return;
  var config = JSON.parse(configEl.textContent);
  var T = config.text;
  var MAX_PARALLEL = 2;
  var MAX_RETRIES = 8;

  function role(name) { return root.querySelector('[data-role="' + name + '"]'); }
  var queueEl = role("queue");
  var pendingEl = role("pending");
  var rowsEl = role("file-rows");
  var usageEl = role("usage");
  var messagesEl = role("messages");
  var picker = role("picker");
  var replacePicker = role("replace-picker");
  var folderPicker = role("folder-picker");
  var clearButton = role("clear");
  var folderInput = role("folder");
  var dropzone = role("dropzone");

  var tasks = [];
  var known = {};  // key → the file as the last listing showed it (for the same-name question)
  var listed = Promise.resolve();  // the first listing of the draft's files (``known``), once it has arrived
  window.storageUploader = { tasks: tasks, addFiles: function (files) { addFiles(files); } };

  // --- helpers ---------------------------------------------------------------------------------
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) {
      return values[name] === undefined ? "" : String(values[name]);
    }).replace(/%%/g, "%");
  }

  // Decimal units, as the server shows them (50 GB = 50 × 10^9 bytes).
  function humanSize(bytes) {
    if (bytes < 1000) return fmt(bytes === 1 ? T.byte : T.bytes, { count: bytes });
    var units = ["kB", "MB", "GB", "TB", "PB"];
    var value = bytes;
    var unit = -1;
    do { value /= 1000; unit += 1; } while (value >= 999.95 && unit < units.length - 1);
    return value.toFixed(1) + " " + units[unit];
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function encodeKey(key) { return key.split("/").map(encodeURIComponent).join("/"); }

  function uploadUrl(id) { return "/api/v1/uploads/" + id; }

  function request(method, url, body) {
    var headers = { "X-CSRFToken": csrfToken(), "Accept": "application/json" };
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options);
  }

  function readError(response) {
    return response.json().then(function (data) {
      return (data && (data.message || data.detail)) || response.statusText;
    }, function () { return response.status + " " + response.statusText; });
  }

  function showMessage(text, kind) {
    var p = document.createElement("p");
    p.className = "message " + (kind || "error");
    p.textContent = text;
    messagesEl.appendChild(p);
  }

  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function folderPrefix() {
    var folder = (folderInput && folderInput.value || "").trim().replace(/^\/+|\/+$/g, "");
    return folder ? folder + "/" : "";
  }

  // --- one upload -------------------------------------------------------------------------------
  function UploadTask(file, key) {
    this.file = file;
    this.key = key.normalize("NFC");
    this.size = file.size;
    this.offset = 0;
    this.uploadId = null;
    this.state = "waiting";
    this.paused = false;
    this.cancelled = false;
    this.retries = 0;
    this.resumedFrom = null;
    this.sentAfterResume = 0;
    this.lsKey = ["storage-upload", config.record, this.key, file.size, file.lastModified].join(":");
    this.render();
  }

  UploadTask.prototype.render = function () {
    var self = this;
    this.progress = el("progress", { max: String(Math.max(this.size, 1)), value: "0",
      "aria-label": this.key });
    this.bytesEl = el("span", { className: "storage-task-bytes" });
    this.statusEl = el("span", { className: "storage-task-status", "aria-live": "polite", text: T.waiting });
    this.pauseBtn = el("button", { type: "button", className: "button-small button-secondary", "data-task-action": "pause", text: T.pause });
    this.cancelBtn = el("button", { type: "button", className: "button-small button-danger", "data-task-action": "cancel", text: T.cancel });
    this.checksumsEl = el("div", { className: "storage-task-checksums" });
    this.checksumsEl.hidden = true;
    this.el = el("li", { className: "storage-task", "data-key": this.key }, [
      el("div", { className: "storage-task-head" }, [el("strong", { text: this.key }), this.statusEl]),
      el("div", { className: "storage-task-bar" }, [this.progress, this.bytesEl]),
      el("div", { className: "storage-task-actions" }, [this.pauseBtn, this.cancelBtn]),
      this.checksumsEl,
    ]);
    this.pauseBtn.addEventListener("click", function () { self.paused ? self.resume() : self.pause(); });
    this.cancelBtn.addEventListener("click", function () { self.cancel(); });
    queueEl.appendChild(this.el);
    this.setStatus("waiting", T.waiting);
    this.showProgress(0);
  };

  UploadTask.prototype.setStatus = function (state, text) {
    this.state = state;
    this.el.dataset.state = state;
    this.statusEl.textContent = text;
    updateClearButton();
  };

  UploadTask.prototype.showProgress = function (sent) {
    sent = Math.min(sent, this.size);
    this.progress.value = sent;
    this.el.dataset.sent = String(sent);
    var percent = this.size ? Math.floor((sent * 100) / this.size) : 100;
    this.bytesEl.textContent = fmt(T.of, { sent: humanSize(sent), total: humanSize(this.size), percent: percent });
  };

  UploadTask.prototype.pause = function () {
    this.paused = true;
    if (this.xhr) this.xhr.abort();
    this.pauseBtn.textContent = T.resume;
    this.setStatus("paused", T.paused);
  };

  UploadTask.prototype.resume = function () {
    this.paused = false;
    this.retries = 0;
    this.pauseBtn.textContent = T.pause;
    this.run();
  };

  UploadTask.prototype.cancel = function () {
    this.cancelled = true;
    this.paused = true;
    if (this.xhr) this.xhr.abort();
    localStorage.removeItem(this.lsKey);
    if (this.uploadId) request("DELETE", uploadUrl(this.uploadId)).then(refreshFiles, refreshFiles);
    this.setStatus("cancelled", T.cancelled);
    this.pauseBtn.remove();
    this.cancelBtn.remove();
    schedule();
  };

  UploadTask.prototype.fail = function (message) {
    this.paused = true;
    this.pauseBtn.textContent = T.resume;
    this.setStatus("failed", fmt(T.failed, { message: message }));
    schedule();
  };

  UploadTask.prototype.askOffset = function () {
    var self = this;
    return fetch(uploadUrl(this.uploadId), { method: "HEAD", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() } }).then(function (response) {
      if (response.status === 404) {
        localStorage.removeItem(self.lsKey);
        self.uploadId = null;
        self.offset = 0;
        return null;
      }
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      self.offset = parseInt(response.headers.get("Upload-Offset"), 10) || 0;
      return self.offset;
    });
  };

  UploadTask.prototype.create = function () {
    var self = this;
    return request("POST", config.createUpload, { key: this.key, size: this.size }).then(function (response) {
      if (!response.ok) return readError(response).then(function (message) { throw { fatal: true, message: message }; });
      return response.json().then(function (data) {
        self.uploadId = data.id;
        self.offset = 0;
        localStorage.setItem(self.lsKey, data.id);
      });
    });
  };

  UploadTask.prototype.sendChunk = function () {
    var self = this;
    return new Promise(function (resolve, reject) {
      var start = self.offset;
      var end = Math.min(start + config.chunkSize, self.size);
      var xhr = new XMLHttpRequest();
      self.xhr = xhr;
      xhr.open("PATCH", uploadUrl(self.uploadId));
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Upload-Offset", String(start));
      xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
      xhr.upload.onprogress = function (event) { self.showProgress(start + event.loaded); };
      xhr.onload = function () {
        self.xhr = null;
        var data = null;
        try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch (e) { data = null; }
        if (xhr.status === 204 || xhr.status === 200) {
          var offset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
          if (self.resumedFrom !== null) self.sentAfterResume += offset - start;
          self.offset = offset;
          self.retries = 0;
          self.showProgress(offset);
          resolve();
        } else if (xhr.status === 409 && data && data.code === "busy") {
          sleep(1000).then(function () { return self.askOffset(); }).then(function () { resolve(); }, reject);
        } else if (xhr.status === 409 && data && typeof data.offset === "number") {
          self.offset = data.offset;  // the server says where to continue
          self.showProgress(data.offset);
          resolve();
        } else if (xhr.status >= 500 && xhr.status !== 507) {
          reject({ network: true });
        } else {
          reject({ fatal: true, message: (data && data.message) || (xhr.status + " " + xhr.statusText) });
        }
      };
      xhr.onerror = function () { self.xhr = null; reject({ network: true }); };
      xhr.onabort = function () { self.xhr = null; reject({ aborted: true }); };
      xhr.send(self.file.slice(start, end));
    });
  };

  UploadTask.prototype.finish = function () {
    var self = this;
    this.setStatus("finishing", T.finishing);
    return request("POST", uploadUrl(this.uploadId) + "/finish", {}).then(function (response) {
      if (!response.ok) return readError(response).then(function (message) { throw { fatal: true, message: message }; });
      return response.json().then(function (data) {
        localStorage.removeItem(self.lsKey);
        self.showProgress(self.size);
        self.setStatus("done", T.done);
        self.checksumsEl.hidden = false;
        self.checksumsEl.replaceChildren(
          el("div", {}, [document.createTextNode(T.md5 + ": "), el("code", { className: "storage-checksum", text: data.md5 })]),
          el("div", {}, [document.createTextNode(T.sha256 + ": "), el("code", { className: "storage-checksum", text: data.sha256 })])
        );
        self.pauseBtn.remove();
        self.cancelBtn.remove();
        self.result = data;
      });
    });
  };

  UploadTask.prototype.run = function () {
    var self = this;
    if (this.running) return Promise.resolve();
    this.running = true;
    this.setStatus("uploading", T.uploading);
    var stored = this.uploadId || localStorage.getItem(this.lsKey);
    var ready;
    if (stored) {
      this.uploadId = stored;
      ready = this.askOffset().then(function (offset) {
        if (offset === null) return self.create();
        if (offset > 0) {
          if (self.resumedFrom === null) self.resumedFrom = offset;
          self.el.dataset.resumedFrom = String(offset);
          self.setStatus("uploading", fmt(T.resuming, { offset: humanSize(offset) }));
          self.showProgress(offset);
        }
      });
    } else {
      ready = this.create();
    }
    function loop() {
      if (self.paused) return Promise.resolve();
      if (self.offset >= self.size) return self.finish();
      return self.sendChunk().then(loop, function (error) {
        if (self.paused || (error && error.aborted)) return;
        if (error && error.network && self.retries < MAX_RETRIES) {
          self.retries += 1;
          self.setStatus("retrying", T.retrying);
          return sleep(Math.min(30000, 500 * Math.pow(2, self.retries)))
            .then(function () { return self.askOffset(); })
            .then(function (offset) { if (offset === null) throw { fatal: true, message: T.failed }; })
            .then(function () { self.setStatus("uploading", T.uploading); return loop(); });
        }
        throw error;
      });
    }
    return ready.then(loop).then(function () {
      self.running = false;
      if (self.state === "done") refreshFiles();
      schedule();
    }, function (error) {
      self.running = false;
      if (self.cancelled) return;
      self.fail((error && error.message) || String(error));
    });
  };

  // --- the queue ---------------------------------------------------------------------------------
  function schedule() {
    var active = tasks.filter(function (t) { return t.running; }).length;
    tasks.forEach(function (task) {
      if (active < MAX_PARALLEL && task.state === "waiting" && !task.paused) {
        active += 1;
        task.run();
      }
    });
  }

  // Files (from a picker) or {file, path} items (from a dropped folder); ``fixedKey`` replaces one key.
  // A file whose name is already in the draft is not silently replaced: the depositor is asked first.
  function replaceQuestion(key) {
    var existing = known[key];
    if (!existing || existing.status === "removed") return null;
    var published = (existing.versions || []).map(function (v) { return v.version; });
    if (published.length) {
      return fmt(T.confirmReplacePublished, { key: key, version: Math.max.apply(null, published) });
    }
    return fmt(T.confirmReplaceStaged, { key: key, size: humanSize(existing.size || 0) });
  }

  // The same-name question needs the draft's files: a file chosen before the first listing has arrived
  // waits for it (the rows on the page may be the server's, drawn before the listing).
  function addFiles(fileList, fixedKey) {
    var items = Array.prototype.slice.call(fileList);  // the picker is cleared right after this call
    listed.then(function () { addListed(items, fixedKey); });
  }

  function addListed(items, fixedKey) {
    messagesEl.replaceChildren();
    items.forEach(function (item) {
      var file = item.file || item;
      var key = (fixedKey || folderPrefix() + (item.path || file.webkitRelativePath || file.name)).normalize("NFC");
      if (!fixedKey) {  // "Replace" on a row already says what it does
        var question = replaceQuestion(key);
        if (question && !window.confirm(question)) {
          showMessage(fmt(T.keptEarlier, { key: key }), "info");
          return;
        }
      }
      if (file.size === 0) showMessage(fmt(T.emptyFile, { key: key }), "warning");
      tasks.push(new UploadTask(file, key));
    });
    schedule();
  }

  function finished(task) { return task.state === "done" || task.state === "cancelled"; }

  function updateClearButton() {
    if (clearButton) clearButton.hidden = !tasks.some(finished);
  }

  // A dropped folder: every file below it, with its path inside the folder (empty folders add nothing).
  function entryFiles(entry, prefix) {
    if (entry.isFile) {
      return new Promise(function (resolve, reject) {
        entry.file(function (file) { resolve([{ file: file, path: prefix + entry.name }]); }, reject);
      });
    }
    if (!entry.isDirectory) return Promise.resolve([]);
    var reader = entry.createReader();
    var children = [];
    return new Promise(function (resolve, reject) {
      (function readBatch() {  // readEntries returns the entries in batches until an empty one
        reader.readEntries(function (batch) {
          if (batch.length) {
            children = children.concat(Array.prototype.slice.call(batch));
            readBatch();
            return;
          }
          Promise.all(children.map(function (child) { return entryFiles(child, prefix + entry.name + "/"); }))
            .then(function (lists) { resolve([].concat.apply([], lists)); }, reject);
        }, reject);
      })();
    });
  }

  // --- the files table -----------------------------------------------------------------------------
  var STATUS_TEXT = { "new": T.statusNew, replaced: T.statusReplaced, unchanged: T.statusUnchanged, removed: T.statusRemoved };

  function sortKey(key) {
    var parts = key.split("/");
    return parts.map(function (part, index) {
      return (index < parts.length - 1 ? "0" : "1") + part.toLowerCase();
    }).join("\u0000");
  }

  function button(action, key, text, extra) {
    return el("button", { type: "button", className: "button-small " + extra, "data-action": action, "data-key": key, text: text });
  }

  function renderFiles(data) {
    known = {};
    data.files.forEach(function (file) { known[file.key] = file; });
    var files = data.files.slice().sort(function (a, b) { return sortKey(a.key) < sortKey(b.key) ? -1 : 1; });
    var rows = [];
    var previous = [];
    files.forEach(function (file) {
      var parts = file.key.split("/");
      var folders = parts.slice(0, -1);
      var common = 0;
      while (common < Math.min(previous.length, folders.length) && previous[common] === folders[common]) common += 1;
      for (var depth = common; depth < folders.length; depth += 1) {
        var cell = el("td", { colspan: "4", style: "--depth: " + depth }, [el("span", { className: "storage-folder-name", text: folders[depth] + "/" })]);
        rows.push(el("tr", { className: "storage-folder-row" }, [cell]));
      }
      previous = folders;
      var nameCell = el("td", { style: "--depth: " + folders.length }, [
        el("a", { href: file.download, text: parts[parts.length - 1] }),
        document.createTextNode(" "),
        el("span", { className: "tag", text: STATUS_TEXT[file.status] || "" }),
      ]);
      var sums = el("td", {}, [
        el("code", { className: "storage-checksum", text: file.md5 }),
        el("details", {}, [el("summary", { text: T.showSha }), el("code", { className: "storage-checksum", text: file.sha256 })]),
      ]);
      var actions = el("td", { className: "storage-actions" }, file.status === "removed"
        ? [button("restore", file.key, T.restore, "button-secondary")]
        : [button("replace", file.key, T.replace, "button-secondary"), document.createTextNode(" "),
           button("remove", file.key, T.remove, "button-danger")]);
      rows.push(el("tr", { className: "storage-file-row storage-" + file.status, "data-key": file.key },
        [nameCell, el("td", { text: humanSize(file.size) }), sums, actions]));
    });
    if (!rows.length) rows.push(el("tr", { className: "storage-empty" }, [el("td", { colspan: "4", className: "muted", text: T.noFiles })]));
    rowsEl.replaceChildren.apply(rowsEl, rows);
    if (data.usage && usageEl) {
      usageEl.textContent = fmt(T.usage, { used: humanSize(data.usage.bytes), limit: humanSize(data.usage.max_bytes),
        files: data.usage.files, maxFiles: data.usage.max_files });
    }
    renderPending(data.uploads || []);
  }

  function renderPending(uploads) {
    var mine = tasks.filter(function (t) { return t.uploadId && t.state !== "cancelled"; }).map(function (t) { return t.uploadId; });
    var items = uploads.filter(function (u) { return mine.indexOf(u.id) < 0; }).map(function (upload) {
      var discard = el("button", { type: "button", className: "button-small button-secondary", "data-upload": upload.id, text: T.discard });
      discard.addEventListener("click", function () {
        request("DELETE", uploadUrl(upload.id)).then(refreshFiles);
      });
      return el("li", { "data-upload": upload.id }, [
        document.createTextNode(fmt(T.pendingHint, { key: upload.key, sent: humanSize(upload.offset), total: humanSize(upload.size) }) + " "),
        discard,
      ]);
    });
    pendingEl.replaceChildren.apply(pendingEl, items);
  }

  function refreshFiles() {
    return fetch(config.filesApi, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data && data.editable) renderFiles(data); });
  }

  // --- events --------------------------------------------------------------------------------------
  picker.addEventListener("change", function () {
    addFiles(picker.files);
    picker.value = "";
  });

  if (folderPicker) {
    folderPicker.addEventListener("change", function () {
      addFiles(folderPicker.files);  // each file carries its webkitRelativePath ("folder/sub/name")
      folderPicker.value = "";
    });
  }

  if (clearButton) {
    clearButton.addEventListener("click", function () {
      for (var index = tasks.length - 1; index >= 0; index -= 1) {
        if (finished(tasks[index])) {
          tasks[index].el.remove();
          tasks.splice(index, 1);
        }
      }
      updateClearButton();
      picker.focus();
    });
  }

  replacePicker.addEventListener("change", function () {
    if (replacePicker.files.length) addFiles([replacePicker.files[0]], replacePicker.dataset.key);
    replacePicker.value = "";
  });

  rowsEl.addEventListener("click", function (event) {
    var target = event.target.closest("button[data-action]");
    if (!target) return;
    var key = target.dataset.key;
    var action = target.dataset.action;
    if (action === "replace") {
      replacePicker.dataset.key = key;
      replacePicker.click();
    } else if (action === "remove") {
      if (!window.confirm(fmt(T.confirmRemove, { key: key }))) return;
      request("DELETE", config.fileApi + encodeKey(key)).then(function (response) {
        if (!response.ok) return readError(response).then(showMessage);
      }).then(refreshFiles);
    } else if (action === "restore") {
      request("POST", config.restoreApi, { key: key }).then(function (response) {
        if (!response.ok) return readError(response).then(showMessage);
      }).then(refreshFiles);
    }
  });

  if (folderInput) {
    folderInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();  // never submit the surrounding deposit form
    });
  }

  ["dragenter", "dragover"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      dropzone.classList.add("storage-dragover");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    dropzone.addEventListener(name, function (event) {
      event.preventDefault();
      dropzone.classList.remove("storage-dragover");
    });
  });
  dropzone.addEventListener("drop", function (event) {
    var transfer = event.dataTransfer;
    if (!transfer) return;
    // Entries must be taken while the event is being handled; the DataTransfer is emptied afterwards.
    var entries = Array.prototype.map.call(transfer.items || [], function (item) {
      return item.kind === "file" && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    });
    var hasFolder = entries.some(function (entry) { return entry && entry.isDirectory; });
    if (hasFolder && entries.every(Boolean)) {
      Promise.all(entries.map(function (entry) { return entryFiles(entry, ""); })).then(function (lists) {
        addFiles([].concat.apply([], lists));
      }, function (error) {
        showMessage(fmt(T.folderFailed, { message: (error && error.message) || String(error) }));
      });
    } else if (transfer.files.length) {
      addFiles(transfer.files);
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (tasks.some(function (t) { return t.running; })) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  listed = refreshFiles().catch(function () {});
})();
