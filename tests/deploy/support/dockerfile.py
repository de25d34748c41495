#!/usr/bin/env python3
"""Reads the Dockerfile the way the builder does, for tests/deploy/docker_test.sh.

No Docker engine is needed: instructions are joined across line continuations, comment lines
are dropped (as the builder drops them, even inside a continued instruction), and each stage's
instructions are listed.

  dockerfile.py FILE stages                  name and base image of each stage
  dockerfile.py FILE get STAGE INSTR         the arguments of INSTR in STAGE (one per line)
  dockerfile.py FILE env STAGE               the stage's ENV as NAME=VALUE lines
  dockerfile.py FILE apt STAGE               packages the stage installs with apt-get install
  dockerfile.py FILE healthcheck-cmd STAGE   the shell command of the stage's HEALTHCHECK
  dockerfile.py FILE cmd STAGE               the stage's CMD (shell form) or JSON (exec form)
"""
import json
import re
import shlex
import sys


def instructions(path):
    out = []
    current = ""
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if re.match(r"^\s*#", line):
            continue
        if not current and not line.strip():
            continue
        if line.endswith("\\"):
            current += line[:-1]
            continue
        current += line
        if current.strip():
            word, _, rest = current.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
        current = ""
    return out


def stages(path):
    result = []
    for word, rest in instructions(path):
        if word == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?", rest, re.IGNORECASE)
            result.append({"base": m.group(1), "name": m.group(2) or str(len(result)), "body": []})
        elif result:
            result[-1]["body"].append((word, rest))
    return result


def stage(path, name):
    for s in stages(path):
        if s["name"] == name:
            return s
    sys.exit(f"no stage named {name}")


def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "stages":
        for s in stages(path):
            print(s["name"], s["base"])
        return
    s = stage(path, sys.argv[3])
    if what == "get":
        for word, rest in s["body"]:
            if word == sys.argv[4].upper():
                print(rest)
    elif what == "env":
        for word, rest in s["body"]:
            if word == "ENV":
                for item in shlex.split(rest):
                    print(item)
    elif what == "apt":
        for word, rest in s["body"]:
            if word != "RUN":
                continue
            for m in re.finditer(r"apt-get install ([^&;|]*)", rest):
                for token in m.group(1).split():
                    if not token.startswith("-"):
                        print(token)
    elif what == "healthcheck-cmd":
        for word, rest in s["body"]:
            if word == "HEALTHCHECK":
                m = re.search(r"(?:^|\s)CMD\s+(.*)$", rest)
                print(m.group(1))
    elif what == "cmd":
        for word, rest in s["body"]:
            if word == "CMD":
                print(rest)
    else:
        sys.exit(f"unknown query {what}")


if __name__ == "__main__":
    main()
