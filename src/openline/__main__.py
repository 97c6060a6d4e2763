from openline.cli import main

main()
