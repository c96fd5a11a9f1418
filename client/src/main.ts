import { App } from './app';
import { installDebug } from './debug';
import { View } from './ui';

const app = new App(new View());
app.start();
installDebug(app);
