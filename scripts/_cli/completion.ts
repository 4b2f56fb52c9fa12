// `ionrun completion bash|zsh|fish`: shell completion generated from the
// command tree (the commands, their subcommands, their options and the
// choices of an option), so it never drifts from the commands themselves.

import type { Command, Option } from "commander";

/** One command of the tree, as completion needs it. */
export interface CompletionCommand {
  /** `bulk-run`. */
  name: string;
  /** One line of what it does. */
  what: string;
  /** Its commander program, when it has one (the simulator has none). */
  program?: Command;
}

/** The shells completion is generated for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

interface Flat {
  name: string;
  what: string;
  words: string[];
  options: Option[];
  subcommands: { name: string; what: string }[];
}

function flatten(commands: readonly CompletionCommand[]): Flat[] {
  return commands.map((c) => {
    const p = c.program;
    const subs = (p?.commands ?? []).map((s) => ({
      name: s.name(),
      what: s.description(),
    }));
    const options = [
      ...(p?.options ?? []),
      ...(p?.commands ?? []).flatMap((s) => s.options),
    ].filter((o, i, all) => all.findIndex((x) => x.flags === o.flags) === i);
    const words = [
      ...subs.map((s) => s.name),
      ...options.flatMap((o) => [o.long, o.short].filter((x) => x) as string[]),
      "--help",
    ];
    return { name: c.name, what: c.what, words, options, subcommands: subs };
  });
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** The completion script for `shell`, from the command tree. */
export function completionScript(
  shell: typeof SHELLS[number],
  commands: readonly CompletionCommand[],
): string {
  const tree = flatten(commands);
  const names = tree.map((c) => c.name).join(" ");
  if (shell === "bash") {
    return `# bash completion of ionrun (ionrun completion bash)
# Load it with: source <(ionrun completion bash)
_ionrun() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${names} help completion --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}:$prev" in
${
      tree.flatMap((c) =>
        c.options.filter((o) => o.argChoices && o.long).map((o) =>
          `    ${c.name}:${o.long}${
            o.short ? `|${c.name}:${o.short}` : ""
          }) COMPREPLY=($(compgen -W "${
            o.argChoices!.join(" ")
          }" -- "$cur")); return;;`
        )
      ).join("\n")
    }
    completion:*) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return;;
  esac
  case "\${COMP_WORDS[1]}" in
${
      tree.map((c) =>
        `    ${c.name}) [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "${
          c.words.filter((w) => w.startsWith("-")).join(" ")
        }" -- "$cur")) || COMPREPLY=($(compgen -W "${
          c.subcommands.map((s) => s.name).join(" ")
        }" -- "$cur"));;`
      ).join("\n")
    }
  esac
}
complete -o default -F _ionrun ionrun
`;
  }
  if (shell === "zsh") {
    return `#compdef ionrun
# zsh completion of ionrun (ionrun completion zsh)
# Load it with: source <(ionrun completion zsh)
_ionrun() {
  local -a commands
  commands=(
${tree.map((c) => `    ${quote(`${c.name}:${c.what}`)}`).join("\n")}
    'completion:shell completion (bash, zsh, fish)'
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
${
      tree.map((c) =>
        `    ${c.name}) compadd -- ${c.words.map(quote).join(" ")}; _files;;`
      ).join("\n")
    }
    completion) compadd -- bash zsh fish;;
  esac
}
compdef _ionrun ionrun
`;
  }
  const lines = [
    "# fish completion of ionrun (ionrun completion fish)",
    "# Load it with: ionrun completion fish | source",
    "complete -c ionrun -f -n __fish_use_subcommand -a completion -d 'shell completion'",
    "complete -c ionrun -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'",
  ];
  for (const c of tree) {
    lines.push(
      `complete -c ionrun -f -n __fish_use_subcommand -a ${c.name} -d ${
        quote(c.what)
      }`,
    );
    const when = `-n '__fish_seen_subcommand_from ${c.name}'`;
    for (const s of c.subcommands) {
      lines.push(
        `complete -c ionrun -f ${when} -a ${s.name} -d ${quote(s.what)}`,
      );
    }
    for (const o of c.options) {
      const long = o.long?.replace(/^--/, "");
      const short = o.short?.replace(/^-/, "");
      lines.push(
        `complete -c ionrun ${when}${long ? ` -l ${long}` : ""}${
          short ? ` -s ${short}` : ""
        }${o.argChoices ? ` -xa ${quote(o.argChoices.join(" "))}` : ""}${
          o.required && !o.argChoices ? " -r" : ""
        } -d ${quote(o.description)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
