"""Code-block language names: Medium's and GitHub's names, and file extensions, to one name
that both kramdown's highlighter (Rouge) and Hugo's (Chroma) know.

Medium stores a code block's language as a highlight.js name (``codeBlockMetadata.lang``:
``objectivec``, ``csharp``, ``shell``, ``plaintext`` …); a gist file has a file name (and GitHub
a language such as ``Objective-C`` or ``C#``). `normalize_lang` maps any of these to a lexer
name or alias that Rouge and Chroma both resolve, and to ``''`` for plain text and anything it
does not know (a fence without a language is always safe). `lang_for_filename` does the same
from a file name. Pure functions; no third-party import.
"""

from __future__ import annotations

import re

#: Canonical names written in fences. Every value is a lexer name or alias known to both
#: Rouge (``Rouge::Lexer.find``) and Chroma (Hugo's highlighter); both checked by the tests.
_CANONICAL = frozenset(
    {
        "python",
        "javascript",
        "typescript",
        "ruby",
        "go",
        "java",
        "kotlin",
        "swift",
        "objectivec",
        "csharp",
        "cpp",
        "c",
        "bash",
        "console",
        "powershell",
        "json",
        "yaml",
        "toml",
        "ini",
        "xml",
        "html",
        "css",
        "scss",
        "sass",
        "sql",
        "graphql",
        "rust",
        "php",
        "markdown",
        "diff",
        "dockerfile",
        "makefile",
        "nginx",
        "jsx",
        "tsx",
        "vue",
        "scala",
        "haskell",
        "dart",
        "elixir",
        "erlang",
        "clojure",
        "groovy",
        "lua",
        "perl",
        "r",
        "matlab",
        "julia",
        "fsharp",
        "ocaml",
        "tex",
        "protobuf",
        "terraform",
        "hcl",
        "solidity",
        "viml",
        "zig",
        "nim",
        "crystal",
        "vb",
    }
)

#: Other spellings (Medium/highlight.js, GitHub linguist, common fence tags) → canonical.
_ALIASES: dict[str, str] = {
    # JavaScript family
    "js": "javascript",
    "node": "javascript",
    "nodejs": "javascript",
    "ecmascript": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "es6": "javascript",
    "react": "jsx",
    "ts": "typescript",
    # C family
    "objective-c": "objectivec",
    "objc": "objectivec",
    "obj-c": "objectivec",
    "objective_c": "objectivec",
    "objectivec++": "objectivec",
    "objective-c++": "objectivec",
    "c#": "csharp",
    "cs": "csharp",
    "c-sharp": "csharp",
    "dotnet": "csharp",
    "c++": "cpp",
    "cc": "cpp",
    "cxx": "cpp",
    "hpp": "cpp",
    "h": "c",
    "arduino": "cpp",
    # shells
    "sh": "bash",
    "shell": "bash",
    "zsh": "bash",
    "ksh": "bash",
    "shellscript": "bash",
    "shell-script": "bash",
    "bash-session": "console",
    "shell-session": "console",
    "shellsession": "console",
    "terminal": "console",
    "ps1": "powershell",
    "posh": "powershell",
    "pwsh": "powershell",
    # data and markup
    "yml": "yaml",
    "jsonc": "json",
    "json5": "json",
    "xhtml": "html",
    "htm": "html",
    "svg": "xml",
    "plist": "xml",
    "xsl": "xml",
    "less": "scss",
    "md": "markdown",
    "mkd": "markdown",
    "mdown": "markdown",
    "gql": "graphql",
    "patch": "diff",
    "docker": "dockerfile",
    "make": "makefile",
    "mk": "makefile",
    "cfg": "ini",
    "conf": "ini",
    "properties": "ini",
    "proto": "protobuf",
    "tf": "terraform",
    "latex": "tex",
    "vim": "viml",
    "vimscript": "viml",
    # others
    "py": "python",
    "python3": "python",
    "py3": "python",
    "python-repl": "python",
    "pycon": "python",
    "ipython": "python",
    "gyp": "python",
    "rb": "ruby",
    "jruby": "ruby",
    "golang": "go",
    "rs": "rust",
    "kt": "kotlin",
    "kts": "kotlin",
    "scala3": "scala",
    "hs": "haskell",
    "ex": "elixir",
    "exs": "elixir",
    "erl": "erlang",
    "clj": "clojure",
    "cljs": "clojure",
    "edn": "clojure",
    "gradle": "groovy",
    "pl": "perl",
    "pm": "perl",
    "jl": "julia",
    "fs": "fsharp",
    "f#": "fsharp",
    "ml": "ocaml",
    "sol": "solidity",
    "php-template": "php",
    "php3": "php",
    "php4": "php",
    "php5": "php",
    "vbnet": "vb",
    "visualbasic": "vb",
    "visual-basic": "vb",
    "vb.net": "vb",
    "vbs": "vb",
    "rscript": "r",
    "tsql": "sql",
    "mysql": "sql",
    "postgresql": "sql",
    "postgres": "sql",
    "plsql": "sql",
    "psql": "sql",
    "sqlite": "sql",
}

#: File extensions (lower case, without the dot) that name a language differently from the
#: alias table, and file names without an extension.
_EXTENSIONS: dict[str, str] = {
    "m": "objectivec",
    "mm": "objectivec",
    "h": "c",
    "hh": "cpp",
    "c++": "cpp",
    "bash": "bash",
    "command": "bash",
    "zshrc": "bash",
    "bashrc": "bash",
    "markdown": "markdown",
    "rst": "",
    "txt": "",
    "text": "",
    "log": "",
    "csv": "",
    "html": "html",
    "vue": "vue",
    "svelte": "html",
    "erb": "ruby",
    "rake": "ruby",
    "gemspec": "ruby",
    "podspec": "ruby",
    "ipynb": "json",
    "lock": "",
    "env": "bash",
    "r": "r",
    "sc": "scala",
    "sbt": "scala",
    "mat": "",
    "tex": "tex",
    "sty": "tex",
    "hcl": "hcl",
    "toml": "toml",
    "ini": "ini",
    "graphql": "graphql",
    "proto": "protobuf",
    "xaml": "xml",
    "csproj": "xml",
    "xml": "xml",
    "lua": "lua",
    "dart": "dart",
}
_FILENAMES: dict[str, str] = {
    "dockerfile": "dockerfile",
    "makefile": "makefile",
    "gnumakefile": "makefile",
    "gemfile": "ruby",
    "rakefile": "ruby",
    "podfile": "ruby",
    "vagrantfile": "ruby",
    "fastfile": "ruby",
    "brewfile": "ruby",
    ".bashrc": "bash",
    ".zshrc": "bash",
    ".profile": "bash",
    ".bash_profile": "bash",
    ".vimrc": "viml",
    "cmakelists.txt": "",
    "jenkinsfile": "groovy",
    "build.gradle": "groovy",
    ".gitignore": "",
    "procfile": "",
}
_PLAIN = frozenset({"", "plaintext", "text", "txt", "plain", "none", "nohighlight", "raw"})
_SPACE_RE = re.compile(r"\s+")


def normalize_lang(name: str | None) -> str:
    """A language name both Rouge and Chroma know, or ``''`` (plain text, unknown, no name).

    Case, surrounding space and a leading ``language-``/``lang-`` prefix (HTML class names) are
    ignored; spaces inside become ``-`` (``Objective C`` → ``objectivec``, ``Shell Session`` →
    ``console``).
    """
    if not name:
        return ""
    key = _SPACE_RE.sub("-", name.strip().lower())
    for prefix in ("language-", "lang-"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    if key in _PLAIN:
        return ""
    if key in _CANONICAL:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    squeezed = key.replace("-", "")
    if squeezed in _CANONICAL:
        return squeezed
    return _ALIASES.get(squeezed, "")


def lang_for_filename(filename: str) -> str:
    """The language of a file from its name (a gist file): ``app.py`` → ``python``; ``''``
    when the name says nothing known (``notes.txt``, ``LICENSE``)."""
    base = filename.strip().rsplit("/", 1)[-1].lower()
    if base in _FILENAMES:
        return _FILENAMES[base]
    if base.startswith("dockerfile."):
        return "dockerfile"
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem.strip("."):
        return ""
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    return normalize_lang(ext)
