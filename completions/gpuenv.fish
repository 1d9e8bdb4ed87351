# fish completion for gpuenv. The words come from the binary itself ('gpuenv __complete'), so
# this file never drifts from the commands and options gpuenv knows. A first line ':files',
# ':dirs' or ':command N' asks for fish's own file, folder or command-line completion too.
function __gpuenv_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l cands ($tokens[1] __complete $tokens[2..-1] "$cur" 2>/dev/null)
    switch "$cands[1]"
        case ':command *'
            # the words from the N-th after "gpuenv" on are a command line: complete it as one
            set -l n (string replace ':command ' '' -- $cands[1])
            __fish_complete_subcommand --commandline $tokens[(math $n + 1)..-1] "$cur"
            return
        case :files
            set -e cands[1]
            __fish_complete_path "$cur"
        case :dirs
            set -e cands[1]
            __fish_complete_directories "$cur"
    end
    printf '%s\n' $cands
end
complete -c gpuenv -f -a '(__gpuenv_complete)'
