#compdef praho

_praho_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _PRAHO_COMPLETE=complete_zsh praho)
}

compdef _praho_completion praho
