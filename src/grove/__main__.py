from grove.cli.main import main

main()
