"""The HTTP API against a live `sayso serve` process: every route, every limit, every
4xx, in the JSON shape the page shows; the video reopened and its face re-detected."""

from __future__ import annotations

import io
import json
import time
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from files import foreign_video, huge_png, no_face, pdf
from live import events, wait_done, wait_running

ASTRONAUT = "skimage_astronaut.png"
GROUP = "pyfeat_multi_face_5people.jpg"
SHORT = "She smiles and says 'Hello there.'"


def error_of(response, status: int, code: str | None = None, field: str | None = None) -> dict:
    """The one error shape: {"error": {"code", "message", "field"}}."""
    assert response.status_code == status, (response.status_code, response.text)
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"} and len(error["message"]) > 15, error
    assert "\n" not in error["message"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert error["field"] == field, error
    return error


def upload(client, photos, name=ASTRONAUT) -> dict:
    with open(photos / name, "rb") as fp:
        response = client.post("/api/photos", files={"photo": (name, fp)})
    assert response.status_code == 201, response.text
    return response.json()


def make(client, photo_id: str, prompt: str = SHORT, headers=None, **options) -> dict:
    fields = {"photo_id": photo_id, "prompt": prompt, "size": "480p", **{k: str(v) for k, v in options.items()}}
    response = client.post("/api/videos", data=fields, headers=headers)
    assert response.status_code in (200, 202), response.text
    return response.json()


def kept_files(studio) -> set[str]:
    """Every file in the studio's folder, but the databases."""
    root = studio.data / "studio"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".sqlite" not in p.name
            and p.name != "workers.log"}


@pytest.fixture(scope="module")
def made(studio, photos):
    """One finished video (with captions) and the client that made it."""
    client = studio.client()
    photo = upload(client, photos)
    video = make(client, photo["id"], "She smiles and says 'Hello there, I am sayso.'", captions="true")
    done = wait_done(client, video["id"])
    assert done["state"] == "done", done
    yield client, done
    client.close()


def test_health_config_and_openapi(client):
    health = client.get("/api/health").json()
    assert health["ok"] and health["workers"] == 2
    config = client.get("/api/config").json()
    assert config["token_required"] is False and config["authorized"] is True
    assert "I will always love you" in config["prompts"][0] and "cringe" in config["prompts"][1]
    assert {e["name"] for e in config["examples"]} >= {"astronaut"}
    assert client.get(config["examples"][0]["url"]).headers["content-type"].startswith("image/")
    spec = client.get("/openapi.json").json()
    routes = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes >= {("/api/photos", "post"), ("/api/plan", "post"), ("/api/videos", "post"), ("/api/videos", "get"),
                      ("/api/videos/{video_id}", "get"), ("/api/videos/{video_id}", "delete"),
                      ("/api/videos/{video_id}/{name}", "get"), ("/api/videos/{video_id}/remix", "post"),
                      ("/api/videos/{video_id}/share", "post"), ("/api/videos/{video_id}/share", "delete"),
                      ("/api/jobs/{job_id}", "get"), ("/api/jobs/{job_id}/events", "get"),
                      ("/api/jobs/{job_id}/cancel", "post"), ("/api/shared/{share_id}", "get"),
                      ("/api/shared/{share_id}/video.mp4", "get"), ("/api/verify", "post")}


def test_the_page_and_unknown_routes(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "sayso_client" in page.headers.get("set-cookie", "")
    error_of(client.get("/api/nothing-here"), 404, "not_found")


def test_a_photo_shows_its_face_and_a_group_every_face_left_to_right(client, photos):
    one = upload(client, photos)
    assert (one["width"], one["height"]) == (512, 512) and len(one["faces"]) == 1 and one["chosen"] == 1
    face = one["faces"][0]
    assert 150 < face["x"] + face["width"] / 2 < 300 and face["width"] > 60  # her face, not the mission patch
    assert client.get(one["url"]).content == (photos / ASTRONAUT).read_bytes()
    group = upload(client, photos, GROUP)
    assert [f["number"] for f in group["faces"]] == [1, 2, 3, 4, 5]
    centres = [f["x"] + f["width"] / 2 for f in group["faces"]]
    assert centres == sorted(centres)
    assert group["faces"][group["chosen"] - 1]["usable"]
    for number in (f["number"] for f in group["faces"] if not f["usable"]):  # refused before any work
        error_of(client.post("/api/videos", data={"photo_id": group["id"], "prompt": SHORT, "face": str(number)}),
                 422, "face_too_small", "face")
    example = client.post("/api/photos", data={"example": "astronaut"})
    assert example.status_code == 201 and example.json()["id"] == one["id"]  # kept once, by content


def test_refused_photos_say_why_and_leave_nothing(studio, client, photos, tmp_path):
    before = kept_files(studio)
    cases = [
        (("empty.jpg", b""), 415, "bad_image"),
        (("paper.jpg", pdf(tmp_path / "paper.jpg").read_bytes()), 415, "bad_image"),
        (("notes.jpg", b"just some text, not a picture at all"), 415, "bad_image"),
        (("huge.png", huge_png(tmp_path / "huge.png").read_bytes()), 413, "image_too_large"),
        (("gradient.png", no_face(tmp_path / "gradient.png").read_bytes()), 422, "no_face"),
        (("tiny.png", (photos / "pillow_hopper_128px.png").read_bytes()), 422, "face_too_small"),
        (("big.jpg", b"\xff\xd8" + bytes(26 * 2**20)), 413, "upload_too_large"),  # refused by its declared length
        (("bigger.jpg", b"\xff\xd8" + bytes(25 * 2**20 + 10_000)), 413, "upload_too_large"),  # counted as it came
    ]
    for file, status, code in cases:
        error = error_of(client.post("/api/photos", files={"photo": file}), status, code, "photo")
        if code in ("bad_image", "image_too_large") or file[0] == "bigger.jpg":
            assert file[0] in error["message"], error  # the sentence names the file
    assert "60,000,000 pixels" in error_of(client.post("/api/photos", files={"photo": cases[3][0]}), 413)["message"]
    error_of(client.post("/api/photos", data={}), 422, "bad_option", "photo")
    error_of(client.post("/api/photos", data={"example": "../../etc/passwd"}), 422, "bad_option", "photo")
    assert kept_files(studio) == before


def test_a_file_name_cannot_choose_where_it_is_written(studio, client, photos):
    with open(photos / ASTRONAUT, "rb") as fp:
        kept = client.post("/api/photos", files={"photo": ("../../../../tmp/evil.png", fp)})
    assert kept.status_code == 201
    assert all("evil" not in path for path in kept_files(studio))
    assert not list(studio.data.parent.rglob("evil*"))


def test_the_plan_shows_what_sayso_understood(client):
    prompt = ("At night in the rain, in front of a lit street, she smiles tenderly and says 'I will always love you.' "
              "Slow push-in.")
    out = client.post("/api/plan", json={"prompt": prompt}).json()
    summary = out["summary"]
    assert summary["line"] == "I will always love you." and summary["voice"] == "female"
    assert [e["what"] for e in summary["expressions"]] == ["tender"]
    assert summary["camera"] == "push-in (slow)" and summary["scene"] == ["night", "rain"]
    assert out["plan"]["lines"] == [{"text": "I will always love you.", "voice": "female"}]
    annoyed = client.post("/api/plan", json={"prompt": "He looks annoyed, rolls his eyes and says 'You are so cringe.' "
                                                       "Blorp the zibble."}).json()["summary"]
    assert annoyed["voice"] == "male" and "angry" in [e["what"] for e in annoyed["expressions"]]
    assert [g["what"] for g in annoyed["gestures"]] == ["eye-roll"] and "zibble" in " ".join(annoyed["ignored"])
    assert summary["speaker"] == "alpha" and summary["language"] == "en"
    french = client.post("/api/plan", json={"prompt": "Elle sourit et dit « Je t'aimerai toujours »."}).json()["summary"]
    assert (french["language"], french["voice"]) == ("fr", "female") and french["speaker"] != "joe"
    options = client.post("/api/plan", json={"prompt": prompt, "voice": "male", "scene": [], "camera": "static"}).json()
    assert options["summary"]["voice"] == "male" and options["summary"]["scene"] == []
    assert options["summary"]["camera"] == "static"


def test_the_voices_are_listed_with_a_sample_to_hear(client):
    voices = {v["name"]: v for v in client.get("/api/voices").json()}
    assert {"joe", "kumo", "alpha", "nezumi"} <= set(voices) and voices["joe"]["languages"] == ["en"]
    url = voices["nezumi"]["samples"]["fr"]
    first = client.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "audio/wav"
    assert first.content[:4] == b"RIFF" and len(first.content) > 48000  # over a second at 24 kHz, 16 bits
    assert client.get(url).content == first.content  # made once, then kept
    error_of(client.get("/api/voices/joe/sample.wav", params={"language": "fr"}), 422, field="voice")
    error_of(client.get("/api/voices/robot/sample.wav"), 404, "not_found")
    error_of(client.post("/api/plan", json={"prompt": "Il dit « Bonjour ».", "voice": "joe"}), 422, field="voice")


def test_bad_plans_and_options_are_refused_naming_the_field(client, photos):
    photo = upload(client, photos)["id"]
    long_prompt = "She says 'hi.' " + "x" * 5000
    error_of(client.post("/api/plan", json={"prompt": long_prompt}), 422, "prompt", "prompt")
    error_of(client.post("/api/plan", json={"prompt": "hi", "size": "4k"}), 422, "bad_option", "size")
    error_of(client.post("/api/plan", json={"prompt": "hi", "scene": ["lava"]}), 422, "bad_option", "scene")
    assert "at most 120" in error_of(client.post("/api/plan", json={"prompt": "hi", "duration": 500}), 422)["message"]
    error_of(client.post("/api/plan", json={"prompt": "hi", "duration": 500}), 422, "bad_option", "duration")
    base = {"photo_id": photo, "prompt": SHORT}
    for fields, field in [({"prompt": long_prompt}, "prompt"), ({"size": "4k"}, "size"), ({"face": "9"}, "face"),
                          ({"face": "0"}, "face"), ({"duration": "0.1"}, "duration"), ({"captions": "maybe"}, "captions"),
                          ({"prompt": "", "plan": "{not json"}, "plan"), ({"prompt": "", "plan": '{"size": "9k"}'}, "plan"),
                          ({"expression": "zzz"}, "expression"), ({"scene": "rain,lava"}, "scene")]:
        error_of(client.post("/api/videos", data=base | fields), 422, field=field)
    for unknown in ("0" * 64, "../../x"):
        error_of(client.post("/api/videos", data=base | {"photo_id": unknown}), 404, "not_found", "photo")
    assert client.get("/api/videos").json()["videos"] == []  # nothing was queued


def test_a_refused_video_request_keeps_nothing(studio, client, photos):
    before = kept_files(studio)
    portrait = "fr_obama_official_portrait.jpg"  # a photo no other test sends
    with open(photos / portrait, "rb") as fp:  # sent with a 5,000-character prompt
        refused = client.post("/api/videos", files={"photo": (portrait, fp)},
                              data={"prompt": "She says 'hi.' " + "x" * 5000})
    error_of(refused, 422, "prompt", "prompt")
    assert kept_files(studio) == before and client.get("/api/videos").json()["videos"] == []


def test_make_streams_progress_then_plays_with_the_face(made, photos):
    client, video = made
    assert video["line"] == "Hello there, I am sayso." and video["summary"]["voice"] == "female"
    seen = list(events(client, video["id"]))  # a finished job replays its story
    kinds = [kind for kind, _ in seen]
    assert kinds[0] == "state" and kinds[-1] == "state" and seen[-1][1]["state"] == "done"
    stages = [data["stage"] for kind, data in seen if kind == "progress"]
    assert [s for i, s in enumerate(stages) if i == 0 or s != stages[i - 1]] == ["face", "speech", "render", "sign"]
    percents = [data["percent"] for kind, data in seen if kind == "progress"]
    assert percents == sorted(percents) and percents[-1] == 100
    assert "preview" in kinds and kinds.index("preview") < len(kinds) - 1
    preview = client.get(video["preview_url"])
    assert preview.headers["content-type"] == "image/jpeg" and preview.content[:2] == b"\xff\xd8"

    mp4 = client.get(video["video_url"])
    assert mp4.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(mp4.content)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert container.streams.audio, "the video has its voice"
    assert min(stream.width, stream.height) == 480 and len(frames) >= 24
    from sayso.face import detect_faces

    assert len(detect_faces(frames[len(frames) // 2])) == 1
    ranged = client.get(video["video_url"], headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100  # a player can seek
    vtt = client.get(video["captions_url"])
    assert vtt.text.startswith("WEBVTT") and "Hello" in vtt.text
    srt = client.get(video["captions_url"].replace(".vtt", ".srt"))
    assert srt.status_code == 200 and srt.text.startswith("1\n00:00:") and "Hello" in srt.text
    recipe = client.get(video["recipe_url"]).json()
    assert recipe["id"] == video["recipe"] and recipe["plan"]["lines"][0]["text"] == "Hello there, I am sayso."
    download = client.get(video["video_url"], params={"download": 1})
    assert "attachment" in download.headers["content-disposition"]
    error_of(client.get(f"/api/videos/{video['id']}/secrets.txt"), 404, "not_found")


def test_another_client_cannot_read_a_video_without_its_share_link(studio, made):
    owner, video = made
    with studio.client() as stranger:
        for path in ("", "/video.mp4", "/recipe.json", "/preview.jpg", "/captions.vtt"):
            error_of(stranger.get(f"/api/videos/{video['id']}{path}"), 404, "not_found")
        error_of(stranger.get(f"/api/jobs/{video['id']}"), 404)
        error_of(stranger.get(f"/api/jobs/{video['id']}/events"), 404)
        error_of(stranger.delete(f"/api/videos/{video['id']}"), 404)
        error_of(stranger.post(f"/api/videos/{video['id']}/share"), 404)
        error_of(stranger.post(f"/api/videos/{video['id']}/remix", json={}), 404)
        assert stranger.get("/api/videos").json()["videos"] == []
        photo_id = video["photo_url"].rsplit("/", 1)[1]
        error_of(stranger.get(video["photo_url"]), 404)
        error_of(stranger.post("/api/videos", data={"photo_id": photo_id, "prompt": SHORT}), 404, field="photo")

        share = owner.post(f"/api/videos/{video['id']}/share").json()["share_url"]
        share_id = share.rsplit("/", 1)[1]
        assert len(share_id) >= 22  # >= 128 random bits, url-safe
        assert owner.post(f"/api/videos/{video['id']}/share").json()["share_url"] == share  # stable while shared
        page = stranger.get(share)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        shared = stranger.get(f"/api/shared/{share_id}").json()
        assert shared["provenance"]["made_by"] == "sayso" and shared["provenance"]["ai_generated"] is True
        assert shared["provenance"]["signed"] and shared["provenance"]["trusted"]
        assert shared["provenance"]["lineage"][0] == video["recipe"]
        assert stranger.get(shared["video_url"]).content == owner.get(video["video_url"]).content
        error_of(stranger.get(f"/api/shared/{share_id[:-1]}x"), 404)

        assert owner.delete(f"/api/videos/{video['id']}/share").status_code == 204
        error_of(stranger.get(f"/api/shared/{share_id}"), 404, "not_found")
        error_of(stranger.get(f"/api/shared/{share_id}/video.mp4"), 404)
        assert owner.get(f"/api/videos/{video['id']}").json()["shared"] is False


def test_remix_records_its_parent(studio, made):
    client, video = made
    child = client.post(f"/api/videos/{video['id']}/remix", json={"say": "Goodbye now.", "voice": "male"})
    assert child.status_code == 202, child.text
    done = wait_done(client, child.json()["id"])
    assert done["state"] == "done" and done["kind"] == "remix" and done["parent"] == video["id"]
    assert done["line"] == "Goodbye now." and done["summary"]["voice"] == "male"
    assert done["id"] in client.get(f"/api/videos/{video['id']}").json()["children"]
    listed = [v["id"] for v in client.get("/api/videos").json()["videos"]]
    assert listed.index(done["id"]) < listed.index(video["id"])  # newest first
    recipe = client.get(done["recipe_url"]).json()
    assert recipe["parent"] == video["recipe"]
    error_of(client.post(f"/api/videos/{video['id']}/remix", json={"say": "  "}), 422, field="say")
    error_of(client.post(f"/api/videos/{video['id']}/remix", json={"camera": "dolly"}), 422, field="camera")
    error_of(client.post(f"/api/videos/{video['id']}/remix", json={"expression": "zzz"}), 422, field="expression")


def test_idempotent_submission(client, photos):
    photo = upload(client, photos)["id"]
    key = {"Idempotency-Key": f"test-{time.time()}"}
    first = client.post("/api/videos", data={"photo_id": photo, "prompt": SHORT, "size": "480p"}, headers=key)
    again = client.post("/api/videos", data={"photo_id": photo, "prompt": SHORT, "size": "480p"}, headers=key)
    assert first.status_code == 202 and again.status_code == 200 and first.json()["id"] == again.json()["id"]
    error_of(client.post("/api/videos", data={"photo_id": photo, "prompt": "He says 'No.'"}, headers=key), 409,
             "conflict")
    assert [v["id"] for v in client.get("/api/videos").json()["videos"]] == [first.json()["id"]]
    wait_done(client, first.json()["id"])


def test_cancel_stops_a_render_and_leaves_no_video(studio, client, photos):
    photo = upload(client, photos)["id"]
    video = make(client, photo, "She looks around.", duration=40, size="720p")
    wait_running(client, video["id"])
    started = time.monotonic()
    assert client.post(f"/api/jobs/{video['id']}/cancel").status_code == 202
    done = wait_done(client, video["id"], timeout=10)
    assert done["state"] == "cancelled" and time.monotonic() - started < 3
    assert not list((studio.data / "studio" / "media" / video["id"]).glob("*.mp4"))
    assert not list((studio.data / "studio" / "media" / video["id"]).glob(".*"))
    error_of(client.post(f"/api/jobs/{video['id']}/cancel"), 409, "conflict")
    error_of(client.get(f"/api/videos/{video['id']}/video.mp4"), 404)


def test_delete_removes_the_video_and_its_files(studio, client, photos):
    video = wait_done(client, make(client, upload(client, photos)["id"])["id"])
    folder = studio.data / "studio" / "media" / video["id"]
    assert (folder / "video.mp4").is_file()
    assert client.delete(f"/api/videos/{video['id']}").status_code == 204
    assert not folder.exists()
    error_of(client.get(f"/api/videos/{video['id']}"), 404)
    error_of(client.delete(f"/api/videos/{video['id']}"), 404)
    from sayso.library import Library

    assert Library(studio.data).get(video["recipe"]) is None


def test_verify_reports_provenance_of_ours_and_none_of_a_foreign_video(made, tmp_path):
    client, video = made
    ours = client.post("/api/verify", files={"video": ("mine.mp4", client.get(video["video_url"]).content)}).json()
    assert ours["code"] == 0 and ours["verdict"].startswith("made by sayso") and ours["video"] == "mine.mp4"
    assert ours["recipe_id"] == video["recipe"] and ours["watermark_matches_manifest"] is True and ours["in_library"]
    foreign = foreign_video(tmp_path / "foreign.mp4")
    theirs = client.post("/api/verify", files={"video": ("foreign.mp4", foreign.read_bytes())}).json()
    assert theirs["code"] == 20 and theirs["verdict"] == "no sayso provenance found"
    error_of(client.post("/api/verify", files={"video": ("clip.mp4", b"not a video")}), 415, "unsupported_file", "video")
    error_of(client.post("/api/verify", files={"video": ("clip.mp4", b"")}), 415, field="video")
    error_of(client.post("/api/verify", data={}), 422, field="video")


def test_guessed_paths_reach_nothing(studio, client):
    for path in ("/api/videos/../../jobs.sqlite", "/api/videos/%2e%2e%2f%2e%2e%2fjobs.sqlite",
                 "/api/videos/..%2F..%2Fjobs.sqlite/video.mp4", "/static/../jobs.sqlite", "/static/%2e%2e/app.py",
                 "/api/photos/..%2f..%2fjobs.sqlite", "/api/shared/..%2f..%2fjobs.sqlite/video.mp4",
                 "/api/videos/" + "0" * 32, "/api/videos/" + "0" * 32 + "/video.mp4", "/api/jobs/xyz/events"):
        response = client.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert b"SQLite" not in response.content


def test_a_full_queue_answers_429_with_retry_after(server, photos):
    server.workers, server.env = 1, {"SAYSO_MAX_QUEUED": "2"}
    server.start()
    with server.client() as client:
        photo = upload(client, photos)["id"]
        ids = [make(client, photo, "She looks around.", duration=30, seed=i)["id"] for i in range(2)]
        error = client.post("/api/videos", data={"photo_id": photo, "prompt": SHORT})
        assert int(error.headers["Retry-After"]) >= 1
        error_of(error, 429, "busy")
        for video_id in ids:
            client.post(f"/api/jobs/{video_id}/cancel")


def test_a_client_over_its_rate_gets_429_with_retry_after(server):
    server.env = {"SAYSO_RATE_PER_MINUTE": "5"}
    server.start()
    with server.client() as client:
        client.get("/api/health")  # the cookie first
        answers = [client.post("/api/plan", json={"prompt": "She smiles."}) for _ in range(7)]
        assert [a.status_code for a in answers[:5]] == [200] * 5
        error_of(answers[-1], 429, "busy")
        assert int(answers[-1].headers["Retry-After"]) >= 1
        with server.client() as other:  # another client has its own allowance
            other.get("/api/health")
            assert other.post("/api/plan", json={"prompt": "She smiles."}).status_code == 200


def test_a_token_guards_the_studio(server, photos):
    token = "correct-horse-battery-staple-42"
    server.env = {"SAYSO_TOKEN": token}
    server.start()
    with server.client() as anyone:
        assert anyone.get("/api/config").json() | {} and anyone.get("/api/config").json()["token_required"]
        error_of(anyone.get("/api/videos"), 401, "access", "token")
        error_of(anyone.post("/api/plan", json={"prompt": "hi"}), 401)
        error_of(anyone.post("/api/login", json={"token": "wrong-wrong-wrong-wrong"}), 401, "access")
        assert anyone.get("/api/videos", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert anyone.post("/api/login", json={"token": token}).status_code == 204
        assert anyone.get("/api/videos").status_code == 200  # the cookie now


def test_binding_beyond_this_machine_needs_a_token(tmp_path):
    import subprocess

    from live import SAYSO

    refused = subprocess.run([str(SAYSO), "serve", "--host", "0.0.0.0", "--port", "1"], capture_output=True,
                             text=True, timeout=60, env={"SAYSO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert refused.returncode == 2 and "access token" in refused.stderr and len(refused.stderr.splitlines()) == 1
    weak = subprocess.run([str(SAYSO), "serve", "--token", "short"], capture_output=True, text=True, timeout=60,
                          env={"SAYSO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert weak.returncode == 2 and "16 characters" in weak.stderr


def test_a_port_in_use_is_a_clear_error(studio, tmp_path):
    import subprocess

    from live import SAYSO

    busy = subprocess.run([str(SAYSO), "serve", "--port", str(studio.port)], capture_output=True, text=True,
                          timeout=60, env={"SAYSO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert busy.returncode == 8 and "choose another --port" in busy.stderr


def test_a_plan_json_can_be_rendered(client, photos):
    photo = upload(client, photos)["id"]
    plan = client.post("/api/plan", json={"prompt": "He says 'Plan B.'", "size": "480p", "duration": 1.5}).json()["plan"]
    video = client.post("/api/videos", data={"photo_id": photo, "plan": json.dumps(plan)})
    assert video.status_code == 202, video.text
    done = wait_done(client, video.json()["id"])
    assert done["state"] == "done" and done["line"] == "Plan B." and abs(done["duration"] - 1.5) < 0.05
    assert np.isclose(done["height"], 480) or np.isclose(done["width"], 480)


SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "speech"


def test_own_recording_is_heard_and_refused_recordings_say_why(studio, client, photos, tmp_path):
    before = kept_files(studio)
    noise = tmp_path / "noise.wav"
    with wave.open(str(noise), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes((np.random.default_rng(1).normal(0, 6000, 16000 * 2)).astype("<i2").tobytes())
    for name, content, status, code in (("noise.wav", noise.read_bytes(), 422, "no_speech"),
                                        ("notes.m4a", b"just some text, not sound\n" * 40, 415, "bad_audio"),
                                        ("empty.wav", b"", 415, "unsupported_file")):
        refused = client.post("/api/recordings", files={"recording": (name, content)})
        error_of(refused, status, code, "recording")
    assert kept_files(studio) == before  # a refused recording leaves nothing

    wav = SPEECH / "en_male_psphinx_forever_input2.wav"
    with open(wav, "rb") as fp:
        kept = client.post("/api/recordings", files={"recording": ("me.wav", fp)})
    assert kept.status_code == 201, kept.text
    recording = kept.json()
    assert 3.2 < recording["seconds"] < 3.5
    photo = upload(client, photos)
    error_of(client.post("/api/videos", data={"photo_id": photo["id"], "recording_id": recording["id"],
                                              "voice": "alpha"}), 422, field="voice")
    error_of(client.post("/api/videos", data={"photo_id": photo["id"], "recording_id": "0" * 64}), 404,
             field="recording")
    video = make(client, photo["id"], "", recording_id=recording["id"], say="feels like these days go on forever",
                 captions="true")
    done = wait_done(client, video["id"])
    assert done["state"] == "done", done
    assert done["summary"]["speaker"] == "recording" and done["line"] == "feels like these days go on forever"
    assert abs(done["duration"] - (0.45 + recording["seconds"] + 0.7)) < 0.1
    with av.open(io.BytesIO(client.get(done["video_url"]).content)) as container:
        heard = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert np.sqrt(np.mean(heard**2)) > 0.01  # the recording is in it
    assert "forever" in client.get(done["captions_url"]).text

    other = SPEECH / "en_male_cmu_arctic_awb_a0007.wav"
    with open(other, "rb") as fp:
        second = client.post("/api/recordings", files={"recording": ("reply.wav", fp)}).json()
    child = client.post(f"/api/videos/{done['id']}/remix", json={"recording_id": second["id"]})
    assert child.status_code == 202, child.text
    remixed = wait_done(client, child.json()["id"])
    assert remixed["state"] == "done" and abs(remixed["duration"] - (0.45 + second["seconds"] + 0.7)) < 0.1
