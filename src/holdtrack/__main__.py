from holdtrack.cli import main

main()
