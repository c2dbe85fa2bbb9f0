#!/usr/bin/env python3
"""Publishes the sample motion templates (samples/templates/, built from seed 004's examples) on a running app.

Usage: publish-templates.py BASE_URL OPERATOR_KEY

Through the operator API, as an operator would: registers the resources (PUT /api/operator/template-assets), then for
each template reads its staging copy (GET /api/operator/templates/{id}); a missing one is created, one that differs from
the file is replaced with If-Match set to the ETag just read, an identical one is left alone; then it is published
(POST .../publish with the same If-Match: an unchanged online revision answers changed=false). A second run changes
nothing and does not fail.
"""
import glob
import json
import os
import sys
import urllib.error
import urllib.request

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "templates")


def call(base, key, method, path, body=None, if_match=None):
    """(status, headers, parsed JSON body or None); error statuses are returned, not raised."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(base + path, data=data, method=method, headers={"x-functions-key": key})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if if_match is not None:
        request.add_header("If-Match", if_match)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, response.headers, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            problem = json.loads(text) if text else None
        except ValueError:
            problem = {"detail": text.decode("utf-8", "replace")}
        return error.code, error.headers, problem


def fail(what, status, problem):
    detail = (problem or {}).get("detail") or (problem or {}).get("title") or ""
    errors = "; ".join(f'{e["path"]}: {e["message"]}' for e in (problem or {}).get("errors", []))
    sys.exit(f"{what}: HTTP {status} {detail} {errors}".rstrip())


def same(staged, wanted):
    """Equal apart from the revision the server assigns (numbers compare by value: 2.0 == 2)."""
    return {k: v for k, v in staged.items() if k != "version"} == {k: v for k, v in wanted.items() if k != "version"}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    base, key = sys.argv[1].rstrip("/"), sys.argv[2]

    with open(os.path.join(FOLDER, "assets.json"), encoding="utf-8") as f:
        assets = json.load(f)
    status, _, problem = call(base, key, "PUT", "/api/operator/template-assets", assets)
    if status != 200:
        fail("Registering the template resources", status, problem)
    print(f"    {len(assets['assets'])} resources registered")

    for path in sorted(glob.glob(os.path.join(FOLDER, "seed-*.json"))):
        with open(path, encoding="utf-8") as f:
            template = json.load(f)
        id = template["id"]
        status, headers, body = call(base, key, "GET", f"/api/operator/templates/{id}")
        if status == 404:
            status, headers, body = call(base, key, "PUT", f"/api/operator/templates/{id}", template)
            action = "created"
        elif status == 200 and not same(body["template"], template):
            status, headers, body = call(base, key, "PUT", f"/api/operator/templates/{id}", template, if_match=headers["ETag"])
            action = "updated"
        elif status == 200:
            action = "unchanged"
        if status not in (200, 201):
            fail(f"Saving template {id} ({os.path.basename(path)})", status, body)
        status, _, published = call(base, key, "POST", f"/api/operator/templates/{id}/publish", if_match=headers["ETag"])
        if status != 200:
            fail(f"Publishing template {id}", status, published)
        online = "published" if published["changed"] else "already online"
        print(f"    {id} ({template['name']}): staging {action}, revision {published['revision']} {online}, library version {published['libraryVersion']}")


if __name__ == "__main__":
    main()
