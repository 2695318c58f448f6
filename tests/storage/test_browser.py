"""The browser uploader in Debian's Chromium: progress under a throttled network, resume after a reload."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from storage.models import FileVersion, Upload

MIB = 1024 * 1024


def throttle(page, bytes_per_second: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )


@pytest.fixture
def big_file(tmp_path):
    path = tmp_path / "measurements 16MiB.bin"
    path.write_bytes(os.urandom(16 * MIB))
    return path


@pytest.fixture
def browser_draft(transactional_db, depositor, metadata):
    from records.services import create_draft

    return create_draft(depositor, metadata)


def wait_for(predicate, timeout: float = 60, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting")


@pytest.mark.browser
def test_throttled_upload_shows_increasing_progress_and_the_checksum(
    live_server, login_page, browser_draft, depositor, big_file, settings
):
    settings.STORAGE_UPLOAD_CHUNK_BYTES = 4 * MIB
    page = login_page(depositor)
    page.goto(f"{live_server.url}/records/{browser_draft.pk}/files/")
    throttle(page, 4_000_000)
    page.set_input_files("#storage-file-input", str(big_file))

    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        state = page.evaluate(
            """() => { const t = document.querySelector('.storage-task');
                       return t ? [Number(t.querySelector('progress').value), t.dataset.state] : [0, ''] }"""
        )
        if not seen or state[0] != seen[-1]:
            seen.append(state[0])
        if state[1] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert page.locator(".storage-task").get_attribute("data-state") == "done"
    size = big_file.stat().st_size
    intermediate = [value for value in seen if 0 < value < size]
    assert len(intermediate) >= 3, seen
    assert intermediate == sorted(intermediate)
    assert seen[-1] == size
    text = page.locator(".storage-task-bytes").inner_text()
    assert "(100%)" in text and "16.8 MB of 16.8 MB" in text

    sha256 = hashlib.sha256(big_file.read_bytes()).hexdigest()
    assert page.locator(".storage-task-checksums").inner_text().count(sha256) == 1
    version = FileVersion.objects.select_related("instance", "file").get(file__bucket=browser_draft.bucket)
    assert version.file.key == "measurements 16MiB.bin"
    assert version.instance.sha256 == "sha256:" + sha256
    # The files table was refreshed from the server.
    page.wait_for_selector('.storage-file-row[data-key="measurements 16MiB.bin"]')


@pytest.mark.browser
def test_reload_mid_upload_then_resume_sends_only_the_rest(
    live_server, login_page, browser_draft, depositor, big_file, settings
):
    settings.STORAGE_UPLOAD_CHUNK_BYTES = 2 * MIB
    size = big_file.stat().st_size
    page = login_page(depositor)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page while uploading?"
    page.goto(f"{live_server.url}/records/{browser_draft.pk}/files/")
    throttle(page, 2_000_000)
    page.set_input_files("#storage-file-input", str(big_file))

    # Cut the upload midway: once the server holds at least a quarter of the file.
    upload = wait_for(
        lambda: Upload.objects.filter(bucket=browser_draft.bucket, offset__gte=size // 4).first()
    )
    assert upload.offset < size
    page.reload()
    page.wait_for_selector("[data-storage-uploader]")
    # The page lists the unfinished upload and asks for the file again.
    page.wait_for_selector(f'.storage-pending li[data-upload="{upload.pk}"]')

    heads, patches = [], []

    def responded(response):
        if response.request.method == "HEAD" and "/api/v1/uploads/" in response.url:
            heads.append(int(response.headers["upload-offset"]))

    def finished(request):
        if request.method == "PATCH":
            headers = request.all_headers()  # with the Content-Length the network stack sent
            accepted = int(request.response().headers["upload-offset"]) - int(headers["upload-offset"])
            patches.append((int(headers["upload-offset"]), int(headers["content-length"]), accepted))

    page.on("response", responded)
    page.on("requestfinished", finished)
    page.set_input_files("#storage-file-input", str(big_file))
    page.wait_for_selector('.storage-task[data-state="done"]', timeout=90_000)

    assert heads and heads[0] > 0, heads  # the server's offset at the resume
    resumed_from = int(page.locator(".storage-task").get_attribute("data-resumed-from"))
    assert resumed_from == heads[0]
    assert patches[0][0] == heads[0]  # the first chunk after the reload starts there
    sent_after_resume = sum(body for _offset, body, _accepted in patches)
    assert sent_after_resume < size
    assert sent_after_resume == size - heads[0] == sum(accepted for _o, _b, accepted in patches)

    version = FileVersion.objects.select_related("instance").get(file__bucket=browser_draft.bucket)
    assert version.instance.sha256 == "sha256:" + hashlib.sha256(big_file.read_bytes()).hexdigest()
    assert version.instance.size == size
    assert not Upload.objects.exists()
    assert (
        page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('storage-upload:')).length")
        == 0
    )


@pytest.mark.browser
def test_replace_remove_pause_and_cancel_in_the_browser(
    live_server, login_page, browser_draft, depositor, tmp_path, settings
):
    from storage import services

    settings.STORAGE_UPLOAD_CHUNK_BYTES = 1 * MIB
    services.store_bytes(browser_draft.bucket, "keep/old.csv", b"old,bytes\n", depositor)
    services.store_bytes(browser_draft.bucket, "drop.txt", b"drop me", depositor)
    page = login_page(depositor)
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove … from this draft?"
    page.goto(f"{live_server.url}/records/{browser_draft.pk}/files/")

    # Replace: a new version of the same key, whatever the chosen file is called.
    replacement = tmp_path / "whatever-name.csv"
    replacement.write_bytes(b"new,bytes\n")
    with page.expect_file_chooser() as chooser:
        page.click('button[data-action="replace"][data-key="keep/old.csv"]')
    chooser.value.set_files(str(replacement))
    page.wait_for_selector('.storage-task[data-key="keep/old.csv"][data-state="done"]')
    page.wait_for_selector(
        '.storage-file-row[data-key="keep/old.csv"] >> text='
        + "md5:"
        + hashlib.md5(b"new,bytes\n").hexdigest()
    )

    # Remove.
    page.click('button[data-action="remove"][data-key="drop.txt"]')
    page.wait_for_selector('.storage-file-row[data-key="drop.txt"]', state="detached")

    # Pause, resume, then cancel a throttled upload into a folder.
    throttle(page, 500_000)
    page.fill("#storage-folder", "raw/")
    big = tmp_path / "slow.bin"
    big.write_bytes(os.urandom(4 * MIB))
    page.set_input_files("#storage-file-input", str(big))
    task = page.locator('.storage-task[data-key="raw/slow.bin"]')
    wait_for(lambda: int(task.get_attribute("data-sent") or 0) > 0)
    task.locator('[data-task-action="pause"]').click()
    assert task.get_attribute("data-state") == "paused"
    paused_at = int(task.get_attribute("data-sent"))
    page.wait_for_timeout(700)
    assert int(task.get_attribute("data-sent")) == paused_at  # nothing moves while paused
    task.locator('[data-task-action="pause"]').click()  # now labelled "Resume"
    wait_for(lambda: int(task.get_attribute("data-sent")) > paused_at)
    upload = wait_for(lambda: Upload.objects.filter(bucket=browser_draft.bucket, key="raw/slow.bin").first())
    task.locator('[data-task-action="cancel"]').click()
    assert task.get_attribute("data-state") == "cancelled"
    wait_for(lambda: not Upload.objects.filter(pk=upload.pk).exists(), timeout=15)

    working = {wf.key: wf for wf in services.working_files(browser_draft.bucket)}
    assert set(working) == {"keep/old.csv"}
    version = working["keep/old.csv"].version
    assert version.instance.md5 == "md5:" + hashlib.md5(b"new,bytes\n").hexdigest()
    assert FileVersion.objects.filter(file__bucket=browser_draft.bucket).count() == 1


@pytest.mark.browser
def test_uploader_in_the_deposit_form_takes_files_folders_and_drops(
    live_server, login_page, transactional_db, depositor, tmp_path
):
    """New upload → the first change creates the draft → the uploader on /records/<id>/edit/: picker,
    folder picker, drops."""
    from records.models import Record
    from storage import services

    page = login_page(depositor)
    page.goto(f"{live_server.url}/uploads/new/")
    assert "The draft is created as soon as you add a file" in page.locator("#files-heading + *").inner_text()
    page.select_option("#id_resource_type", index=1)
    page.fill("#id_title", "Files from the deposit form")
    page.click('button[value="save"]')
    page.get_by_text("Draft saved.").wait_for(timeout=60_000)  # the URL changes when the draft is made
    record = Record.objects.get(pk=int(page.url.rstrip("/").split("/")[-2]))
    assert record.is_draft() and record.owner == depositor

    # Enter in the folder field must not submit the surrounding deposit form.
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.fill("#storage-folder", "raw")
    page.press("#storage-folder", "Enter")
    page.wait_for_timeout(300)
    assert not [url for url in posts if url.endswith("/edit/")]
    first, second = tmp_path / "a.csv", tmp_path / "b.bin"
    first.write_bytes(b"x,y\n1,2\n")
    second.write_bytes(os.urandom(300_000))
    page.set_input_files("#storage-file-input", [str(first), str(second)])
    page.wait_for_selector('.storage-task[data-key="raw/b.bin"][data-state="done"]')
    page.wait_for_selector('.storage-task[data-key="raw/a.csv"][data-state="done"]')
    assert page.url.endswith(f"/records/{record.pk}/edit/")
    page.fill("#storage-folder", "")

    # "Choose a folder": every file keeps its path below the chosen folder.
    tree = tmp_path / "dataset"
    (tree / "sub").mkdir(parents=True)
    (tree / "readme.txt").write_bytes(b"read me")
    (tree / "sub" / "värden.tsv").write_bytes(b"1\t2\n")
    page.set_input_files("#storage-folder-input", str(tree))
    page.wait_for_selector('.storage-task[data-key="dataset/sub/värden.tsv"][data-state="done"]')
    page.wait_for_selector('.storage-task[data-key="dataset/readme.txt"][data-state="done"]')

    # A dropped folder, read through webkitGetAsEntry (entries in batches, nested folders). A real
    # directory entry cannot be built in a page, so the drop carries stand-ins with the same API.
    page.evaluate(
        """() => {
        const fileEntry = (name, text) => ({ isFile: true, isDirectory: false, name,
            file: (ok) => ok(new File([text], name)) });
        const dirEntry = (name, batches) => ({ isFile: false, isDirectory: true, name,
            createReader: () => { const queue = batches.slice(); return {
                readEntries: (ok) => setTimeout(() => ok(queue.length ? queue.shift() : []), 0) }; } });
        const folder = dirEntry("dropped", [
            [fileEntry("one.txt", "one")],
            [dirEntry("deeper", [[fileEntry("two.txt", "two!")]]), dirEntry("empty", [])],
        ]);
        const event = new Event("drop", { bubbles: true, cancelable: true });
        Object.defineProperty(event, "dataTransfer", { value: {
            items: [{ kind: "file", webkitGetAsEntry: () => folder }], files: [] } });
        document.querySelector('[data-role="dropzone"]').dispatchEvent(event);
        }"""
    )
    page.wait_for_selector('.storage-task[data-key="dropped/deeper/two.txt"][data-state="done"]')
    page.wait_for_selector('.storage-task[data-key="dropped/one.txt"][data-state="done"]')
    # A plain file dropped on its own.
    page.evaluate(
        """() => { const transfer = new DataTransfer();
        transfer.items.add(new File(["plain"], "plain drop.txt", { type: "text/plain" }));
        document.querySelector('[data-role="dropzone"]').dispatchEvent(
            new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true })); }"""
    )
    page.wait_for_selector('.storage-task[data-key="plain drop.txt"][data-state="done"]')

    expected = {
        "raw/a.csv": b"x,y\n1,2\n",
        "raw/b.bin": second.read_bytes(),
        "dataset/readme.txt": b"read me",
        "dataset/sub/värden.tsv": b"1\t2\n",
        "dropped/one.txt": b"one",
        "dropped/deeper/two.txt": b"two!",
        "plain drop.txt": b"plain",
    }
    working = {wf.key: wf.version.instance for wf in services.working_files(record.bucket)}
    assert set(working) == set(expected)
    for key, data in expected.items():
        assert working[key].sha256 == "sha256:" + hashlib.sha256(data).hexdigest(), key
    # The files table lists them as a tree; "Clear finished uploads" empties the queue.
    page.wait_for_selector('.storage-file-row[data-key="dropped/deeper/two.txt"]')
    page.click('[data-role="clear"]')
    assert page.locator(".storage-task").count() == 0
    assert page.locator('[data-role="clear"]').is_hidden()
    # Saving the form afterwards keeps the files (the uploader adds no fields to the form).
    page.click('button[value="save"]')
    page.wait_for_url("**/records/*/edit/")
    assert page.locator(".storage-file-row").count() == len(expected)


@pytest.mark.browser
def test_new_version_through_the_edit_form_keeps_the_old_one_downloadable(
    live_server, login_page, browser_draft, depositor, tmp_path
):
    from records.services import publish
    from storage import services

    services.store_bytes(browser_draft.bucket, "data/table.csv", b"version one\n", depositor)
    record = publish(browser_draft, depositor, declaration_accepted=True)
    page = login_page(depositor)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/records/{record.pk}/edit/")  # opens the edit draft
    replacement = tmp_path / "table-v2.csv"
    replacement.write_bytes(b"version two\n")
    with page.expect_file_chooser() as chooser:
        page.click('button[data-action="replace"][data-key="data/table.csv"]')
    chooser.value.set_files(str(replacement))
    page.wait_for_selector('.storage-file-row[data-key="data/table.csv"].storage-replaced')
    page.click('button[value="publish"]')
    page.check("#id_declaration")
    page.click('main form button[type="submit"]')
    page.wait_for_url(f"**/records/{record.pk}/")

    history = page.locator(".storage-history li")
    assert history.count() == 2
    base = f"{live_server.url}/records/{record.pk}/files/data/table.csv"
    assert page.request.get(base).body() == b"version two\n"
    assert page.request.get(base + "?version=1").body() == b"version one\n"
    assert page.request.get(base + "?version=2").body() == b"version two\n"
