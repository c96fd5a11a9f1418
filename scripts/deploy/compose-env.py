#!/usr/bin/env python3
"""Checks docker/compose.yaml the way `docker compose config` would, for hosts without it.

Interpolates the file from an env file (compose's ${VAR}, ${VAR:-default}, ${VAR-default},
${VAR:?message}, ${VAR?message}, $VAR and $$), checks what compose would refuse or what this
stack relies on (host networking without published ports, depends_on targets with health
checks, volumes and secrets declared, env values free of same-line comments), then prints
one service's environment as KEY=value lines, ready for `--env-file` (or, with --command,
its command, one argument a line).

Usage: compose-env.py [--compose FILE] [--env-file FILE] [--set KEY=VALUE ...] [--command] SERVICE
Needs PyYAML (Debian: python3-yaml).
"""
import argparse
import re
import sys

import yaml

VAR = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def read_env_file(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                sys.exit(f"{path}:{n}: not a KEY=value line")
            if re.search(r"\s#", value):
                sys.exit(f"{path}:{n}: {key} has a same-line comment, which docker --env-file keeps in the value")
            env[key] = value
    return env


def interpolate(value, env, where):
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        have = name in env
        val = env.get(name, "")
        if op in (":-", "-"):
            return val if (have and (val != "" or op == "-")) else interpolate(arg, env, where)
        if op in (":?", "?"):
            if not have or (op == ":?" and val == ""):
                raise SystemExit(f"{where}: required variable {name} is missing a value: {arg}")
            return val
        return val

    return VAR.sub(sub, value)


def walk(node, env, where):
    if isinstance(node, dict):
        return {k: walk(v, env, f"{where}.{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [walk(v, env, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):
        return interpolate(node, env, where)
    return node


def check(doc):
    problems = []
    services = doc.get("services") or {}
    for name, svc in services.items():
        if svc.get("network_mode") == "host" and svc.get("ports"):
            problems.append(f"{name}: published ports mean nothing with network_mode: host")
        for dep, spec in (svc.get("depends_on") or {}).items():
            if dep not in services:
                problems.append(f"{name}: depends_on unknown service {dep}")
            elif (spec or {}).get("condition") == "service_healthy" and not services[dep].get("healthcheck"):
                problems.append(f"{name}: waits for {dep} to be healthy, but {dep} has no healthcheck")
        for vol in svc.get("volumes") or []:
            src = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
            if src and not src.startswith((".", "/")) and src not in (doc.get("volumes") or {}):
                problems.append(f"{name}: volume {src} is not declared under volumes:")
        for secret in (svc.get("build") or {}).get("secrets") or []:
            sid = secret if isinstance(secret, str) else secret.get("source")
            if sid not in (doc.get("secrets") or {}):
                problems.append(f"{name}: build secret {sid} is not declared under secrets:")
        env = svc.get("environment") or {}
        if isinstance(env, dict):
            for key, val in env.items():
                if isinstance(val, str) and ("\n" in val or re.search(r"\s#", val)):
                    problems.append(f"{name}: {key} holds a newline or a same-line comment")
        if "restart" not in svc:
            problems.append(f"{name}: no restart policy")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compose", default="docker/compose.yaml")
    ap.add_argument("--env-file", default=None)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--command", action="store_true", help="print the command, one argument a line")
    ap.add_argument("service")
    args = ap.parse_args()

    env = read_env_file(args.env_file) if args.env_file else {}
    for kv in args.set:
        key, _, value = kv.partition("=")
        env[key] = value
    with open(args.compose, encoding="utf-8") as f:
        doc = walk(yaml.safe_load(f), env, args.compose)
    problems = check(doc)
    if problems:
        sys.exit("\n".join(f"{args.compose}: {p}" for p in problems))
    svc = (doc.get("services") or {}).get(args.service)
    if svc is None:
        sys.exit(f"{args.compose}: no service {args.service}")
    if args.command:
        command = svc.get("command") or []
        for arg in [command] if isinstance(command, str) else command:
            print(arg)
        return
    environment = svc.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(e.partition("=")[::2] for e in environment)
    for key, val in environment.items():
        print(f"{key}={'' if val is None else val}")


if __name__ == "__main__":
    main()
