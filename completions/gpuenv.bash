# bash completion for gpuenv. The words come from the binary itself ('gpuenv __complete'), so
# this file never drifts from the commands and options gpuenv knows. A first line ':files',
# ':dirs' or ':command N' asks for bash's own file, folder or command completion too.
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
    local directive=""
    if [[ ${cands[0]} == :* ]]; then
        directive=${cands[0]}
        cands=("${cands[@]:1}")
    fi
    case $directive in
        ":command "*)
            local n=${directive#:command }
            if (( n == ${#words[@]} - 1 )); then
                COMPREPLY=($(compgen -c -- "$cur"))
            elif declare -F _command_offset >/dev/null; then
                _command_offset "$n" # bash-completion's own, where it is loaded
            else
                COMPREPLY=() # bash's default: file names
            fi
            return 0
            ;;
        :dirs) cands+=($(compgen -d -- "$cur")) ;;
        :files) cands+=($(compgen -f -- "$cur")) ;;
    esac
    # bash splits "--color=au" at '=' and completes only "au": hand it the part after '='.
    if [[ $cur == *=* && $COMP_WORDBREAKS == *=* ]]; then
        cands=("${cands[@]#"${cur%%=*}="}")
    fi
    COMPREPLY=("${cands[@]}")
    if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
        compopt -o nospace 2>/dev/null
    fi
    [[ -n $directive ]] && compopt -o filenames 2>/dev/null
    return 0
}
# nothing to offer: bash completes file names
complete -o bashdefault -o default -F _gpuenv gpuenv
