#!/usr/bin/env python3
"""What a terminal shows after the bytes of a `script` typescript: carriage returns go back
to the line's start, ESC[K erases to its end, colour sequences draw nothing. Prints the
screen's lines (the whole scrollback), or with --bars every bar drawn (escapes removed).
Enough of a terminal for Lockstep's progress output."""
import re, sys

def screen(data):
    lines, line, col = [], [], 0
    i = 0
    while i < len(data):
        c = data[i]
        if c == "\x1b":
            m = re.match(r"\x1b\[([0-9;]*)([A-Za-z])", data[i:])
            if m:
                if m.group(2) == "K": del line[col:]
                i += len(m.group(0)); continue
        if c == "\r": col = 0
        elif c == "\n": lines.append("".join(line)); line, col = [], 0
        else:
            if col < len(line): line[col] = c
            else: line.append(c)
            col += 1
        i += 1
    if line: lines.append("".join(line))
    return lines

def bars(data):
    """Every redraw: the text after a carriage return up to the next control character."""
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", data)
    return [m for m in re.findall(r"\r([^\r\n]+)", plain) if "/" in m and ("\u2595" in m or "[" in m)]

if __name__ == "__main__":
    data = open(sys.argv[-1], encoding="utf-8", errors="replace", newline="").read()
    for l in (bars(data) if "--bars" in sys.argv else screen(data)): print(l)
