// `cutover completion bash|zsh|fish`: a completion script for each shell, made from the same
// vocabulary the CLI parses with (commands, options, -o formats, --for keys, gates, phases).

export interface Vocabulary {
  commands: readonly string[];
  /** Long options without dashes; those taking a value complete their value, if known, or a file for --file. */
  options: readonly { name: string; short?: string; takesValue: boolean }[];
  outputs: readonly string[];
  gates: readonly string[];
  phases: readonly string[];
  shells: readonly string[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** --for's candidates: every phase=P and gate=G, and green= to type a weight after. */
const forValues = (v: Vocabulary) => [...v.phases.map((p) => `phase=${p}`), ...v.gates.map((g) => `gate=${g}`), 'green='];
const optionWords = (v: Vocabulary) => [...v.options.map((o) => `--${o.name}`), ...v.options.filter((o) => o.short).map((o) => `-${o.short}`)];
const valueOptions = (v: Vocabulary) => v.options.filter((o) => o.takesValue).flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]);

export function completionScript(shell: Shell, v: Vocabulary): string {
  if (shell === 'bash') return bash(v);
  if (shell === 'zsh') return zsh(v);
  return fish(v);
}

function bash(v: Vocabulary): string {
  return `# cutover completion for bash: source <(cutover completion bash)
_cutover() {
  # The words as typed (bash splits "phase=baking" at "=" by default): read the line itself.
  local line="\${COMP_LINE:0:COMP_POINT}"
  local -a typed
  read -r -a typed <<< "$line"
  [[ "$line" == *" " ]] && typed+=("")
  local cur="\${typed[\${#typed[@]}-1]}" prev=""
  (( \${#typed[@]} > 1 )) && prev="\${typed[\${#typed[@]}-2]}"
  local commands="${v.commands.join(' ')}"
  local options="${optionWords(v).join(' ')}"
  local value_options=" ${valueOptions(v).join(' ')} "
  local words=""
  case "$prev" in
    -o|--output) words="${v.outputs.join(' ')}" ;;
    --for) words="${forValues(v).join(' ')}" ;;
    --phase) words="${v.phases.join(' ')}" ;;
    --gate) words="${v.gates.join(' ')}" ;;
    -f|--file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    *) if [[ "$value_options" == *" $prev "* ]]; then COMPREPLY=(); return; fi ;;
  esac
  if [[ -z "$words" ]]; then
    # The command and its positionals: words that are neither options nor their values.
    local -a positionals=()
    local i skip=0
    for ((i = 1; i < \${#typed[@]} - 1; i++)); do
      if (( skip )); then skip=0; continue; fi
      case "\${typed[i]}" in
        -*) [[ "$value_options" == *" \${typed[i]} "* ]] && skip=1 ;;
        *) positionals+=("\${typed[i]}") ;;
      esac
    done
    if [[ "$cur" == -* ]]; then words="$options"
    elif (( \${#positionals[@]} == 0 )); then words="$commands"
    else
      case "\${positionals[0]}:\${#positionals[@]}" in
        completion:1) words="${v.shells.join(' ')}" ;;
        approve:2|reject:2) words="${v.gates.join(' ')}" ;;
      esac
    fi
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
  # Where "=" breaks words, readline replaces only what follows it.
  if [[ "$cur" == *=* && "$COMP_WORDBREAKS" == *=* ]]; then
    COMPREPLY=("\${COMPREPLY[@]#*=}")
  fi
  [[ "\${COMPREPLY[0]}" == *= ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -F _cutover cutover
`;
}

function zsh(v: Vocabulary): string {
  return `#compdef cutover
# cutover completion for zsh: source <(cutover completion zsh) after compinit, or save as _cutover in $fpath
_cutover() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  local -a value_options=(${valueOptions(v).join(' ')})
  case $prev in
    -o|--output) compadd -- ${v.outputs.join(' ')}; return ;;
    --for) compadd -S '' -- ${forValues(v).join(' ')}; return ;;
    --phase) compadd -- ${v.phases.join(' ')}; return ;;
    --gate) compadd -- ${v.gates.join(' ')}; return ;;
    -f|--file) _files; return ;;
  esac
  (( \${value_options[(Ie)$prev]} )) && return
  if [[ $cur == -* ]]; then compadd -- ${optionWords(v).join(' ')}; return; fi
  local -a positionals=()
  local i skip=0
  for (( i = 2; i < CURRENT; i++ )); do
    if (( skip )); then skip=0; continue; fi
    case \${words[i]} in
      -*) (( \${value_options[(Ie)\${words[i]}]} )) && skip=1 ;;
      *) positionals+=(\${words[i]}) ;;
    esac
  done
  if (( \${#positionals} == 0 )); then compadd -- ${v.commands.join(' ')}; return; fi
  case "\${positionals[1]}:\${#positionals}" in
    completion:1) compadd -- ${v.shells.join(' ')} ;;
    approve:2|reject:2) compadd -- ${v.gates.join(' ')} ;;
  esac
}
if [[ "\${funcstack[1]}" == _cutover ]]; then _cutover "$@"; else compdef _cutover cutover; fi
`;
}

function fish(v: Vocabulary): string {
  const lines = [
    '# cutover completion for fish: cutover completion fish > ~/.config/fish/completions/cutover.fish',
    'complete -c cutover -f',
    `complete -c cutover -n __fish_use_subcommand -a '${v.commands.join(' ')}'`,
    `complete -c cutover -n '__fish_seen_subcommand_from completion' -a '${v.shells.join(' ')}'`,
    `complete -c cutover -n '__fish_seen_subcommand_from approve reject' -a '${v.gates.join(' ')}'`,
  ];
  const values: Record<string, readonly string[]> = { output: v.outputs, for: forValues(v), phase: v.phases, gate: v.gates };
  for (const o of v.options) {
    const short = o.short ? ` -s ${o.short}` : '';
    if (o.name === 'file') lines.push(`complete -c cutover${short} -l file -r -F`);
    else if (values[o.name]) lines.push(`complete -c cutover${short} -l ${o.name} -x -a '${values[o.name].join(' ')}'`);
    else lines.push(`complete -c cutover${short} -l ${o.name}${o.takesValue ? ' -x' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
