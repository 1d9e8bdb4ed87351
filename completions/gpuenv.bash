# bash completion for gpuenv. The words come from the binary itself ('gpuenv __complete'), so
# this file never drifts from the commands and options gpuenv knows.
_gpuenv()
{
    local line=${COMP_LINE:0:COMP_POINT}
    local -a words
    read -r -a words <<<"$line"
    [[ $line == *[[:space:]] || ${#words[@]} -eq 0 ]] && words+=("")
    local cur=${words[${#words[@]}-1]}
    local bin=gpuenv
    [[ ${words[0]} == */* && -x ${words[0]} ]] && bin=${words[0]}
    local IFS=$'\n'
    local -a cands
    cands=($("$bin" __complete "${words[@]:1}" 2>/dev/null))
    # bash splits "--color=au" at '=' and completes only "au": hand it the part after '='.
    if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
        cands=("${cands[@]#"${cur%%=*}="}")
    fi
    COMPREPLY=("${cands[@]}")
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
        compopt -o nospace 2>/dev/null
    fi
    return 0
}
# nothing to offer (a folder, the command after "run --"): bash completes file names
complete -o bashdefault -o default -F _gpuenv gpuenv
