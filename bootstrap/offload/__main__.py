from offload.commands import main

main()
