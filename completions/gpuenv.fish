# fish completion for gpuenv. The words come from the binary itself ('gpuenv __complete'), so
# this file never drifts from the commands and options gpuenv knows.
function __gpuenv_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    $tokens[1] __complete $tokens[2..-1] "$cur" 2>/dev/null
end
complete -c gpuenv -f -a '(__gpuenv_complete)'
